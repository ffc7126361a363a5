package dev.palisade.core.table;

import java.util.Arrays;

/**
 * A flat lookup index for one table's IPv6 trie, derived from it, in the
 * spirit of {@link V4Index}: the top 16 bits of an address pick a bucket,
 * which holds the segments of the next 16 bits (one per /32) with their
 * answer. A /32 that holds entries longer than /32 (the usual /48, /64 and
 * /128 bans) is a "deep" segment that points at the trie node under which
 * those entries hang, with the answer inherited from the shorter entries
 * above it; a lookup there finishes with a short trie walk.
 *
 * <p><b>Why.</b> A walk from the trie's root is one dependent load per level
 * (about 20 at 1M entries); here a lookup is one bucket load and a binary
 * search, plus a walk of a few nodes only for addresses inside a /32 that
 * holds entries. XXX any change rebuilds its /16 bucket (time proportional
 * to the entries in that /16; a prefix shorter than /16 rebuilds the buckets
 * it covers): dense bans in one IPv6 /16 make adds costlier than in IPv4,
 * where host changes update the index in place.
 */
final class V6Index {

    private static final char[] ZERO = {0};
    private static final Object[] NO = {Boolean.FALSE};

    /** A /32 with entries longer than /32: walk from {@code sub}; no entry there means {@code inherited}. */
    record Deep(PrefixTrie.Node sub, boolean inherited) {}

    private final char[][] offs = new char[1 << 16][];
    private final Object[][] vals = new Object[1 << 16][];
    private final long[] dirty = new long[1 << 10];
    private boolean anyDirty;
    private char[] sOff = new char[1024];
    private Object[] sVal = new Object[1024];
    private int n;
    private long lo;
    private long hi;

    V6Index() {
        Arrays.fill(offs, ZERO);
        Arrays.fill(vals, NO);
    }

    boolean matches(long ahi, long alo, PrefixTrie trie) {
        int b = (int) (ahi >>> 48);
        if (anyDirty && (dirty[b >>> 6] & (1L << b)) != 0) {
            PrefixTrie.Node node = trie.longest(ahi, alo);
            return node != null && !node.negated;
        }
        char[] t = offs[b];
        int x = (int) (ahi >>> 32) & 0xffff;
        int l = 0;
        int h = t.length;
        while (l < h) {
            int mid = (l + h) >>> 1;
            if (t[mid] <= x) l = mid + 1;
            else h = mid;
        }
        Object v = vals[b][l - 1];
        if (v == Boolean.TRUE) return true;
        if (v == Boolean.FALSE) return false;
        Deep d = (Deep) v;
        PrefixTrie.Node node = PrefixTrie.longestFrom(d.sub(), ahi, alo, 128);
        return node == null ? d.inherited() : !node.negated;
    }

    /** The prefix with this {@code hi} word and length changed. */
    void changed(long phi, int len, PrefixTrie trie, boolean defer) {
        int first = (int) (phi >>> 48);
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

    /** Position of a node in the top-32-bit space, and the last position it covers. */
    private static long start(PrefixTrie.Node x) {
        return x.hi >>> 32;
    }

    private static long end(PrefixTrie.Node x) {
        return x.len >= 32 ? x.hi >>> 32 : (x.hi >>> 32) + (1L << (32 - x.len)) - 1;
    }

    private static boolean deep(PrefixTrie.Node x) {
        return x.len > 32 || (x.len == 32 && (x.left != null || x.right != null));
    }

    private void rebuild(int b, PrefixTrie trie) {
        lo = ((long) b) << 16;
        hi = lo + 0xffff;
        n = 0;
        seg(lo, Boolean.FALSE);
        PrefixTrie.Node root = trie.root();
        if (root != null) children(new PrefixTrie.Node[] {root}, Boolean.FALSE, lo, hi);
        if (n == 1 && sVal[0] == Boolean.FALSE) {
            offs[b] = ZERO;
            vals[b] = NO;
        } else {
            offs[b] = Arrays.copyOf(sOff, n);
            vals[b] = Arrays.copyOf(sVal, n);
        }
    }

    /** Paints [s, e] (clipped to the bucket) with {@code v}, except where the given children say otherwise. */
    private void children(PrefixTrie.Node[] kids, Boolean v, long s, long e) {
        long cursor = Math.max(s, lo);
        long stop = Math.min(e, hi);
        for (PrefixTrie.Node c : kids) {
            if (c == null) continue;
            long cs = start(c);
            long ce = end(c);
            if (ce < lo || cs > hi) continue;
            cs = Math.max(cs, lo);
            ce = Math.min(ce, hi);
            if (cs > cursor) seg(cursor, v);
            if (deep(c)) {
                seg(cs, new Deep(c, v));
            } else {
                Boolean cv = c.present ? Boolean.valueOf(!c.negated) : v;
                children(new PrefixTrie.Node[] {c.left, c.right}, cv, start(c), end(c));
            }
            cursor = ce + 1;
        }
        if (cursor <= stop) seg(cursor, v);
    }

    private void seg(long pos, Object v) {
        if (n > 0 && v instanceof Boolean && sVal[n - 1] == v) return;
        if (n == sOff.length) {
            sOff = Arrays.copyOf(sOff, n * 2);
            sVal = Arrays.copyOf(sVal, n * 2);
        }
        sOff[n] = (char) (pos - lo);
        sVal[n] = v;
        n++;
    }
}
