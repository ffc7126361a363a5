package dev.palisade.core.eval;

import dev.palisade.core.table.AddressTable;
import dev.palisade.core.table.TableSet;

/**
 * How the evaluator asks a table about an address: longest-prefix match with
 * negated entries, addresses as primitives. A missing table matches nothing,
 * as pf's unreferenced, inactive tables.
 */
public interface TableLookup {

    boolean matchV4(String table, int address);

    boolean matchV6(String table, long hi, long lo);

    /** No tables at all: every table test fails. */
    TableLookup NONE = new TableLookup() {
        public boolean matchV4(String table, int address) { return false; }
        public boolean matchV6(String table, long hi, long lo) { return false; }
    };

    /** The tables of a {@link TableSet}. */
    static TableLookup of(TableSet tables) {
        return new TableLookup() {
            public boolean matchV4(String table, int address) {
                AddressTable t = tables.table(table);
                return t != null && t.matchesV4(address);
            }

            public boolean matchV6(String table, long hi, long lo) {
                AddressTable t = tables.table(table);
                return t != null && t.matchesV6(hi, lo);
            }
        };
    }
}
