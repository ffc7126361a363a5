package dev.palisade.core.lang;

/** Address family of a rule: {@code inet}, {@code inet6} or either. */
public enum Af {
    ANY, INET, INET6;

    /** The keyword pf prints, or "" for {@link #ANY}. */
    public String keyword() {
        return switch (this) {
            case ANY -> "";
            case INET -> "inet";
            case INET6 -> "inet6";
        };
    }
}
