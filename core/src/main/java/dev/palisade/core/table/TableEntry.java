package dev.palisade.core.table;

import dev.palisade.core.net.IpPrefix;
import java.util.Objects;

/**
 * One entry of a table as readers see it (a copy: the table keeps its
 * entries packed in trie nodes).
 *
 * @param cleared  when the entry was added or its counters last cleared, epoch seconds
 * @param expires  when it expires, epoch seconds; 0 for never
 * @param counters per-entry counters ({@link EntryCounters}), or null when the table has no {@code counters} flag
 */
public record TableEntry(IpPrefix prefix, boolean negated, long cleared, long expires, Origin origin, long[] counters) {

    public TableEntry {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(origin, "origin");
        if (cleared < 0 || cleared > 0xffffffffL) throw new IllegalArgumentException("cleared time out of range: " + cleared);
        if (expires < 0 || expires > 0xffffffffL) throw new IllegalArgumentException("expiry time out of range: " + expires);
    }

    /** As pfctl prints it: {@code !} for a negated entry, then the prefix. */
    public String text() {
        return (negated ? "!" : "") + prefix;
    }
}
