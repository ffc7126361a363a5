package dev.palisade.core.table;

/**
 * A table's flags as pf.conf declares them: {@code persist} (kept when no
 * rule refers to it), {@code const} (its entries cannot change after load),
 * {@code counters} (per-entry packet and byte counters).
 */
public record TableFlags(boolean persist, boolean constant, boolean counters) {

    public static final TableFlags NONE = new TableFlags(false, false, false);
    public static final TableFlags PERSIST = new TableFlags(true, false, false);

    /** Bits for the store: 1 persist, 2 const, 4 counters. */
    public int bits() {
        return (persist ? 1 : 0) | (constant ? 2 : 0) | (counters ? 4 : 0);
    }

    public static TableFlags ofBits(int bits) {
        if ((bits & ~7) != 0) throw new IllegalArgumentException("unknown table flag bits: " + bits);
        return new TableFlags((bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (persist) sb.append("persist ");
        if (constant) sb.append("const ");
        if (counters) sb.append("counters ");
        return sb.isEmpty() ? "none" : sb.substring(0, sb.length() - 1);
    }
}
