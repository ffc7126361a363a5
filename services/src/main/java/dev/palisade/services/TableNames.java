package dev.palisade.services;

/** PF's rule for table names (PF_TABLE_NAME_SIZE 32: 1 to 31 characters). */
public final class TableNames {

    /** The longest table name PF accepts. */
    public static final int MAX_LENGTH = 31;

    private TableNames() {}

    /**
     * Checks a table name.
     *
     * @param who the service, for the message
     * @throws IllegalArgumentException naming the bad value and the rule
     */
    public static String check(String who, String name) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException(who + ": table name must not be empty");
        if (name.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(who + ": table name \"" + name + "\" is " + name.length()
                    + " characters long, at most " + MAX_LENGTH + " allowed");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c == '<' || c == '>' || c >= 0x7f) {
                throw new IllegalArgumentException(who + ": table name \"" + name + "\" contains an invalid character at position " + (i + 1));
            }
        }
        return name;
    }
}
