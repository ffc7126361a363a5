package dev.palisade.core.table;

import java.util.Arrays;

/**
 * A flat lookup index for one table's IPv4 trie, derived from it: for each
 * /16 (the top 16 bits of an address) the sorted offsets inside the /16 at
 * which the answer "matches" flips. The answer for an address is the parity
 * of the number of flips at or below its low 16 bits.
 *
 * <p><b>Why.</b> The path-compressed trie costs one dependent memory load per
 * level, about 20 at 1M entries, which measured 0.5M lookups/s (BENCHMARKS.md,
 * "Tables"). pf's answer is a boolean (longest match, negated or not), so a
 * /16's answers collapse into a few flip points: a lookup is one load from a
 * 256 KiB array of bucket references (cache-resident) and a binary search in
 * one short {@code char[]} (one or two cache lines for the ~11 entries a
 * /16 holds at 1M entries). Updates rebuild only the buckets the changed
 * prefix covers, from the trie, in time proportional to their entries
 * (a prefix shorter than /16 rebuilds 2^(16-len) buckets).
 *
 * <p>Bulk loads mark buckets dirty instead and rebuild once at the end;
 * a lookup in a dirty bucket asks the trie, so the index is never wrong.
 */
final class V4Index {

    private static final char[] EMPTY = new char[0];

    private final char[][] buckets = new char[1 << 16][];
    private final long[] dirty = new long[1 << 10];
    private boolean anyDirty;
    private final char[] scratch = new char[(1 << 16) + 2];
    private int n;
    private boolean last;
    private long lo;
    private long hi;

    V4Index() {
        Arrays.fill(buckets, EMPTY);
    }

    boolean matches(int addr, PrefixTrie trie) {
        int b = addr >>> 16;
        if (anyDirty && (dirty[b >>> 6] & (1L << b)) != 0) {
            PrefixTrie.Node node = trie.longestV4(addr);
            return node != null && !node.negated;
        }
        char[] t = buckets[b];
        int x = addr & 0xffff;
        int l = 0;
        int h = t.length;
        while (l < h) {
            int mid = (l + h) >>> 1;
            if (t[mid] <= x) l = mid + 1;
            else h = mid;
        }
        return (l & 1) != 0;
    }

    /** The prefix {@code addr/len} changed (an entry added, removed or its negation flipped). */
    void changed(int addr, int len, PrefixTrie trie, boolean defer) {
        int first = addr >>> 16;
        int count = len >= 16 ? 1 : 1 << (16 - len);
        for (int b = first; b < first + count; b++) {
            if (defer) {
                dirty[b >>> 6] |= 1L << b;
                anyDirty = true;
            } else {
                rebuild(b, trie);
            }
        }
    }

    /**
     * A host entry ({@code /32}) changed so that the answer for {@code addr}
     * is now {@code value}: only the flip points at the address and the one
     * after it can change, so this costs one search and one array copy,
     * whatever the size of the bucket (dense bans in one /16 stay cheap).
     */
    void hostChanged(int addr, boolean value, PrefixTrie trie) {
        int b = addr >>> 16;
        if (anyDirty && (dirty[b >>> 6] & (1L << b)) != 0) return;
        if (matches(addr, trie) == value) return;
        int x = addr & 0xffff;
        char[] t = toggle(buckets[b], x);
        if (x < 0xffff) t = toggle(t, x + 1);
        buckets[b] = t.length == 0 ? EMPTY : t;
    }

    private static char[] toggle(char[] t, int pos) {
        int l = 0;
        int h = t.length;
        while (l < h) {
            int mid = (l + h) >>> 1;
            if (t[mid] < pos) l = mid + 1;
            else h = mid;
        }
        if (l < t.length && t[l] == pos) {
            char[] r = new char[t.length - 1];
            System.arraycopy(t, 0, r, 0, l);
            System.arraycopy(t, l + 1, r, l, t.length - l - 1);
            return r;
        }
        char[] r = new char[t.length + 1];
        System.arraycopy(t, 0, r, 0, l);
        r[l] = (char) pos;
        System.arraycopy(t, l, r, l + 1, t.length - l);
        return r;
    }

    void clear() {
        Arrays.fill(buckets, EMPTY);
        Arrays.fill(dirty, 0);
        anyDirty = false;
    }

    /** Rebuilds every dirty bucket. */
    void rebuildDirty(PrefixTrie trie) {
        if (!anyDirty) return;
        for (int w = 0; w < dirty.length; w++) {
            long bits = dirty[w];
            while (bits != 0) {
                int b = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                rebuild(b, trie);
            }
            dirty[w] = 0;
        }
        anyDirty = false;
    }

    private void rebuild(int b, PrefixTrie trie) {
        lo = ((long) b) << 16;
        hi = lo + 0xffff;
        n = 0;
        last = false;
        PrefixTrie.Node root = trie.root();
        if (root != null) {
            long s = start(root);
            long e = end(root);
            if (e >= lo && s <= hi) {
                paint(root, false);
                long ce = Math.min(e, hi);
                if (ce < hi) seg(ce + 1, false);
            }
        }
        buckets[b] = n == 0 ? EMPTY : Arrays.copyOf(scratch, n);
    }

    private static long start(PrefixTrie.Node x) {
        return x.hi >>> 32;
    }

    private static long end(PrefixTrie.Node x) {
        return (x.hi >>> 32) + (1L << (32 - x.len)) - 1;
    }

    private void paint(PrefixTrie.Node node, boolean inherited) {
        boolean v = node.present ? !node.negated : inherited;
        long s = Math.max(start(node), lo);
        long e = Math.min(end(node), hi);
        long cursor = s;
        for (int i = 0; i < 2; i++) {
            PrefixTrie.Node c = i == 0 ? node.left : node.right;
            if (c == null) continue;
            long cs = start(c);
            long ce = end(c);
            if (ce < lo || cs > hi) continue;
            cs = Math.max(cs, lo);
            ce = Math.min(ce, hi);
            if (cs > cursor) seg(cursor, v);
            paint(c, v);
            cursor = ce + 1;
        }
        if (cursor <= e) seg(cursor, v);
    }

    private void seg(long pos, boolean v) {
        if (v != last) {
            scratch[n++] = (char) (pos - lo);
            last = v;
        }
    }
}
