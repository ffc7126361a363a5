package dev.palisade.core.tabled;

import dev.palisade.core.net.IpPrefix;

/**
 * One table change carried by a pftabled datagram: what a client asks and,
 * once a datagram is accepted, what the server applies.
 *
 * @param op              add, delete or flush
 * @param table           the table name, 1 to 31 printable ASCII characters
 * @param prefix          the entry for add and delete (host bits cleared); null for flush
 * @param lifetimeSeconds for add: how long the entry lives, 0 for no expiry; 0 for delete and flush
 */
public record TableCommand(TabledOp op, String table, IpPrefix prefix, long lifetimeSeconds) {

    /** Longest table name: pf's PF_TABLE_NAME_SIZE (32) less the terminating NUL. */
    public static final int MAX_TABLE_NAME = 31;

    public TableCommand {
        if (op == null) throw new IllegalArgumentException("op must not be null");
        checkTableName(table);
        if (op == TabledOp.FLUSH && prefix != null) {
            throw new IllegalArgumentException("flush takes no address, got " + prefix);
        }
        if (op != TabledOp.FLUSH && prefix == null) {
            throw new IllegalArgumentException(op.word() + " needs an address");
        }
        if (lifetimeSeconds < 0 || lifetimeSeconds > 0xffffffffL) {
            throw new IllegalArgumentException("lifetime " + lifetimeSeconds + " s out of range 0..4294967295");
        }
        if (op != TabledOp.ADD && lifetimeSeconds != 0) {
            throw new IllegalArgumentException("only add takes a lifetime, got " + lifetimeSeconds + " s for " + op.word());
        }
    }

    public static TableCommand add(String table, IpPrefix prefix) {
        return new TableCommand(TabledOp.ADD, table, prefix, 0);
    }

    public static TableCommand delete(String table, IpPrefix prefix) {
        return new TableCommand(TabledOp.DELETE, table, prefix, 0);
    }

    public static TableCommand flush(String table) {
        return new TableCommand(TabledOp.FLUSH, table, null, 0);
    }

    /** The same command with another lifetime (add only). */
    public TableCommand withLifetime(long seconds) {
        return new TableCommand(op, table, prefix, seconds);
    }

    /**
     * Checks a table name as the wire carries it: 1 to 31 characters, each
     * printable ASCII other than space. Throws naming the bad name otherwise.
     */
    public static void checkTableName(String table) {
        String problem = tableNameProblem(table);
        if (problem != null) throw new IllegalArgumentException("table name \"" + table + "\": " + problem);
    }

    /** Why the name is not a valid table name, or null when it is. */
    public static String tableNameProblem(String table) {
        if (table == null || table.isEmpty()) return "empty";
        if (table.length() > MAX_TABLE_NAME) return "too long (" + table.length() + " characters, at most " + MAX_TABLE_NAME + ")";
        for (int i = 0; i < table.length(); i++) {
            char c = table.charAt(i);
            if (c < 0x21 || c > 0x7e) return "character " + (i + 1) + " is not printable ASCII (code " + (int) c + ")";
        }
        return null;
    }

    @Override
    public String toString() {
        return "<" + table + "> " + op.word() + (prefix == null ? "" : " " + prefix)
                + (lifetimeSeconds == 0 ? "" : " lifetime " + lifetimeSeconds + "s");
    }
}
