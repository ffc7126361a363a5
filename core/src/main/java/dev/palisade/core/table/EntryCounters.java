package dev.palisade.core.table;

/**
 * Indices of the packet/byte counters kept per table and per entry, in
 * pfctl's order: direction (in, out) by operation (block, match, pass, and
 * for tables only xpass: a packet that passed although its address left the
 * table after the state was made).
 */
public final class EntryCounters {

    private EntryCounters() {}

    public static final int IN = 0;
    public static final int OUT = 1;
    public static final int BLOCK = 0;
    public static final int MATCH = 1;
    public static final int PASS = 2;
    public static final int XPASS = 3;

    /** Operations per entry (block, match, pass). */
    public static final int ENTRY_OPS = 3;
    /** Operations per table (block, match, pass, xpass). */
    public static final int TABLE_OPS = 4;

    static final String[][] LABELS = {
        {"In/Block:", "In/Match:", "In/Pass:", "In/XPass:"},
        {"Out/Block:", "Out/Match:", "Out/Pass:", "Out/XPass:"},
    };
}
