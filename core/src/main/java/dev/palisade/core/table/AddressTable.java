package dev.palisade.core.table;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.util.function.Consumer;

/**
 * One named table: an IPv4 and an IPv6 {@link PrefixTrie}, the table's
 * flags, its counters and the time they were last cleared. IPv4-mapped IPv6
 * addresses and prefixes ({@code ::ffff:0:0/96} and longer) are stored and
 * looked up as IPv4, so {@code ::ffff:192.0.2.1} and {@code 192.0.2.1} are
 * the same entry.
 *
 * <p>Lookups ({@link #matches}) follow pf: the longest matching entry decides,
 * and a negated longest match means "no match". Not thread-safe: its
 * {@link TableSet}'s owner serialises access.
 */
public final class AddressTable {

    public static final int MAX_NAME = 31;

    private final String name;
    private TableFlags flags;
    private boolean referenced;
    final PrefixTrie v4 = new PrefixTrie(32);
    final PrefixTrie v6 = new PrefixTrie(128);
    /** Flat IPv4 lookup index, built once the table holds {@link #INDEX_THRESHOLD} IPv4 entries. */
    private V4Index v4Index;
    /** Flat IPv6 lookup index, built once the table holds {@link #INDEX_THRESHOLD} IPv6 entries. */
    private V6Index v6Index;
    /** While true (bulk loads), index updates are deferred to {@link #finishBulk()}. */
    boolean bulk;
    static final int INDEX_THRESHOLD = 64;
    /** IPv6 entries from which the IPv6 index uses 2^20 buckets instead of 2^16 (see {@link V6Index}). */
    static final int V6_WIDE = 1 << 16;
    long cleared;
    long nextExpiry;
    long match;
    long nomatch;
    /** [dir * 4 + op]. */
    final long[] packets = new long[8];
    final long[] bytes = new long[8];

    AddressTable(String name, TableFlags flags, long cleared) {
        checkName(name);
        this.name = name;
        this.flags = flags;
        this.cleared = cleared;
    }

    /** Throws when {@code name} is not a valid table name (1 to 31 characters, no white space). */
    public static void checkName(String name) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("table name is empty");
        if (name.length() > MAX_NAME) {
            throw new IllegalArgumentException("table name \"" + name + "\" too long: " + name.length() + " characters, at most " + MAX_NAME);
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '<' || c == '>') {
                throw new IllegalArgumentException("table name \"" + name + "\" has a character that is not allowed at " + (i + 1));
            }
        }
    }

    public String name() {
        return name;
    }

    public TableFlags flags() {
        return flags;
    }

    void setFlags(TableFlags flags) {
        this.flags = flags;
    }

    /** True when a loaded rule refers to the table (set by the ruleset loader). */
    public boolean referenced() {
        return referenced;
    }

    public void setReferenced(boolean referenced) {
        this.referenced = referenced;
    }

    /** Number of entries, both families. */
    public int size() {
        return v4.size() + v6.size();
    }

    /** When the table's counters were last cleared (or it was created), epoch seconds. */
    public long cleared() {
        return cleared;
    }

    public long matchCount() {
        return match;
    }

    public long noMatchCount() {
        return nomatch;
    }

    public long packets(int dir, int op) {
        return packets[dir * 4 + op];
    }

    public long bytes(int dir, int op) {
        return bytes[dir * 4 + op];
    }

    /** Longest-prefix match with negation, as pf's tables answer it. */
    public boolean matches(IpAddress a) {
        a = a.unmapV4();
        if (!a.v6()) return matchesV4((int) a.lo());
        return matchesV6(a.hi(), a.lo());
    }

    /** Hot path for IPv4: no allocation. */
    public boolean matchesV4(int addr) {
        V4Index ix = v4Index;
        if (ix != null) return ix.matches(addr, v4);
        PrefixTrie.Node n = v4.longestV4(addr);
        return n != null && !n.negated;
    }

    private void v6Changed(IpPrefix p) {
        int bits = v6.size() >= V6_WIDE ? 20 : 16;
        if (v6Index == null || v6Index.bits() < bits) {
            if (v6.size() < INDEX_THRESHOLD) return;
            v6Index = new V6Index(bits);
            v6Index.changed(0, 0, 0, v6, true);
            if (!bulk) v6Index.rebuildDirty(v6);
            return;
        }
        v6Index.changed(p.address().hi(), p.address().lo(), p.length(), v6, bulk);
    }

    private void v4Changed(IpPrefix p) {
        if (p.v6()) {
            v6Changed(p);
            return;
        }
        if (v4Index == null) {
            if (v4.size() < INDEX_THRESHOLD) return;
            v4Index = new V4Index();
            v4Index.changed(0, 0, v4, true);
            if (!bulk) v4Index.rebuildDirty(v4);
            return;
        }
        int addr = (int) p.address().lo();
        if (p.length() == 32 && !bulk) {
            PrefixTrie.Node n = v4.longestV4(addr);
            v4Index.hostChanged(addr, n != null && !n.negated, v4);
        } else {
            v4Index.changed(addr, p.length(), v4, bulk);
        }
    }

    /** Whether the flat IPv4 and IPv6 lookup indexes are built (tests). */
    boolean indexed() {
        return v4Index != null && v6Index != null;
    }

    /** Directory bits of the IPv6 index, 0 when there is none (tests). */
    int v6IndexBits() {
        return v6Index == null ? 0 : v6Index.bits();
    }

    /** Ends a bulk load: builds the deferred index buckets. */
    void finishBulk() {
        bulk = false;
        if (v4Index != null) v4Index.rebuildDirty(v4);
        if (v6Index != null) v6Index.rebuildDirty(v6);
    }

    /** Hot path for IPv6 (mapped IPv4 must be unmapped by the caller): no allocation. */
    public boolean matchesV6(long hi, long lo) {
        V6Index ix = v6Index;
        if (ix != null) return ix.matches(hi, lo, v6);
        PrefixTrie.Node n = v6.longest(hi, lo);
        return n != null && !n.negated;
    }

    /**
     * Counts one packet as a rule referring to the table does: the table's
     * match/no-match and direction/operation counters, and the matching
     * entry's counters when the table has {@code counters}.
     *
     * @return whether the address matched
     */
    public boolean evaluate(IpAddress a, int dir, int op, long packetBytes) {
        PrefixTrie.Node n = longestNode(a);
        boolean m = n != null && !n.negated;
        if (m) match++; else nomatch++;
        int t = dir * 4 + op;
        packets[t]++;
        bytes[t] += packetBytes;
        if (n != null && flags.counters() && op < EntryCounters.ENTRY_OPS) {
            if (n.counters == null) n.counters = new long[12];
            n.counters[dir * 3 + op]++;
            n.counters[6 + dir * 3 + op] += packetBytes;
        }
        return m;
    }

    PrefixTrie.Node longestNode(IpAddress a) {
        a = a.unmapV4();
        return a.v6() ? v6.longest(a.hi(), a.lo()) : v4.longestV4((int) a.lo());
    }

    /** The entry that decides a lookup of {@code a} (possibly negated), or null. */
    public TableEntry longestEntry(IpAddress a) {
        PrefixTrie.Node n = longestNode(a);
        if (n == null) return null;
        return toEntry(a.unmapV4().v6() ? v6 : v4, n);
    }

    /** The entry for exactly {@code p}, or null. */
    public TableEntry entry(IpPrefix p) {
        PrefixTrie t = trieFor(p);
        PrefixTrie.Node n = t.find(hi(p), lo(p), p.length());
        return n == null ? null : toEntry(t, n);
    }

    PrefixTrie.Node node(IpPrefix p) {
        return trieFor(p).find(hi(p), lo(p), p.length());
    }

    /** Every entry in show order (IPv4 first, then by address, shorter prefix first). */
    public void forEachEntry(Consumer<TableEntry> action) {
        v4.forEach(n -> action.accept(toEntry(v4, n)));
        v6.forEach(n -> action.accept(toEntry(v6, n)));
    }

    void forEachNode(java.util.function.BiConsumer<PrefixTrie, PrefixTrie.Node> action) {
        v4.forEach(n -> action.accept(v4, n));
        v6.forEach(n -> action.accept(v6, n));
    }

    static TableEntry toEntry(PrefixTrie t, PrefixTrie.Node n) {
        return new TableEntry(t.prefixOf(n), n.negated, n.clearedSeconds(), n.expiresSeconds(), n.origin,
                n.counters == null ? null : n.counters.clone());
    }

    PrefixTrie trieFor(IpPrefix p) {
        return p.v6() ? v6 : v4;
    }

    static long hi(IpPrefix p) {
        return p.v6() ? p.address().hi() : p.address().lo() << 32;
    }

    static long lo(IpPrefix p) {
        return p.v6() ? p.address().lo() : 0;
    }

    /** Puts an entry, replacing any entry for the same prefix. Returns true when it was new. */
    boolean put(IpPrefix p, boolean negated, long clearedAt, long expires, Origin origin) {
        PrefixTrie t = trieFor(p);
        PrefixTrie.Node n = t.insert(hi(p), lo(p), p.length());
        boolean added = !n.present;
        boolean flipped = !added && n.negated != negated;
        if (added) {
            n.present = true;
            t.markAdded();
            if (flags.counters()) n.counters = new long[12];
        }
        n.negated = negated;
        n.cleared = (int) clearedAt;
        n.expires = (int) expires;
        n.origin = origin;
        if (expires != 0 && (nextExpiry == 0 || expires < nextExpiry)) nextExpiry = expires;
        if (added || flipped) v4Changed(p);
        return added;
    }

    boolean remove(IpPrefix p) {
        boolean r = trieFor(p).remove(hi(p), lo(p), p.length());
        if (r) v4Changed(p);
        return r;
    }

    void clearEntries() {
        v4Index = null;
        v6Index = null;
        v4.clear();
        v6.clear();
        nextExpiry = 0;
    }

    void zero(long time) {
        cleared = time;
        match = 0;
        nomatch = 0;
        java.util.Arrays.fill(packets, 0);
        java.util.Arrays.fill(bytes, 0);
        forEachNode((t, n) -> {
            n.cleared = (int) time;
            if (n.counters != null) java.util.Arrays.fill(n.counters, 0);
        });
    }

    /** Pf's flag characters for {@code -s Tables -v}: c p a i r h C. */
    public String flagChars() {
        return new String(new char[] {
            flags.constant() ? 'c' : '-',
            flags.persist() ? 'p' : '-',
            'a',
            '-',
            referenced ? 'r' : '-',
            '-',
            flags.counters() ? 'C' : '-',
        });
    }
}
