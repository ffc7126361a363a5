package dev.palisade.core.table;

import dev.palisade.core.net.IpPrefix;

/**
 * One change to a {@link TableSet}, as the durable store journals it and as
 * {@link TableSet#apply} replays it. Commands return the mutations they made;
 * a dry run ({@code -n}) returns none.
 */
public sealed interface Mutation {

    String table();

    /** A table created (or its flags set). */
    record Create(String table, TableFlags flags, long time) implements Mutation {}

    /** A table and all its entries removed. */
    record Kill(String table) implements Mutation {}

    /** An entry added, or replaced as a whole (negation, lifetime, origin). */
    record Add(String table, IpPrefix prefix, boolean negated, long cleared, long expires, Origin origin)
            implements Mutation {}

    /** An entry removed. */
    record Delete(String table, IpPrefix prefix) implements Mutation {}

    /** Every entry of a table removed. */
    record Flush(String table) implements Mutation {}

    /** Counters and cleared times of the table and its entries reset at {@code time}. */
    record Zero(String table, long time) implements Mutation {}
}
