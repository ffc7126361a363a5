package dev.palisade.core.table;

import java.util.Arrays;

/**
 * A flat lookup index for one table's IPv6 trie, derived from it: the
 * answer "matches" is a piecewise-constant function over the 128-bit
 * address space, stored as its sorted flip points, split into buckets: the
 * 2^{@code bits} equal slices of 2000::/3 (16 bits, or 20 once the table
 * holds 64Ki IPv6 entries), plus one bucket for each other /3. Global
 * unicast is 2000::/3, so slicing it alone (not the whole space, 7/8 of
 * which real tables barely use) puts 8 times as many buckets where the
 * entries are: shorter binary searches, 7.4-7.8M to 8.3-9.7M IPv6 lookups/s
 * of CPU at 1M entries (BENCHMARKS.md). A lookup is one load of the bucket reference, then a
 * binary search in one {@code long[]} of (hi, lo) pairs; the answer is the
 * parity of the number of flip points at or below the address. Each bucket
 * starts "not matching", so buckets are independent.
 *
 * <p><b>Why.</b> The first IPv6 index kept per-/32 segments that, for a /32
 * holding longer entries (the usual /48, /64 and /128 bans), pointed back
 * into the trie: every lookup of a banned address chased two or three trie
 * nodes scattered over the heap (one cache miss each) and measured 4.4M
 * lookups/s idle, 1.1M/s loaded. A multibit trie (stride 8 or 16 over the two
 * longs, as Poptrie or a level-compressed trie) needs up to 16 levels for a
 * /128 and either copies whole nodes on update or costs 256-65536 slots per
 * sparse node; Waldvogel's binary search on prefix lengths (one hash per
 * length, with markers) needs up to log2(34) = 6 dependent hash probes for
 * the 34 lengths of a realistic mix, and markers make negated entries (the
 * longest match decides, "!addr") subtle to maintain on delete. pf's answer
 * is one bit, so like {@link V4Index} we keep only where it flips: at most
 * two points per entry (16 bytes each), one or two cache misses a lookup.
 * Sources: Waldvogel et al., "Scalable High Speed IP Routing Lookups"
 * (SIGCOMM 1997); Asai and Ohara, "Poptrie" (SIGCOMM 2015); Nilsson and
 * Karlsson, "IP-address lookup using LC-tries" (IEEE JSAC 1999).
 *
 * <p><b>Costs.</b> Memory: 16 bytes a flip point (at most two per entry) plus
 * a directory of 2^bits references (256 KiB, or 4 MiB at 20 bits). Update:
 * a change to {@code p} repaints only the range {@code p} covers, from the
 * trie (a walk down to {@code p}, then its subtree), and splices the new
 * flip points into the bucket: time proportional to the bucket's size (one
 * array copy) plus the subtree, never a rebuild of the bucket from the trie.
 * A prefix shorter than {@code bits} repaints the buckets it covers in one
 * walk. Bulk loads mark buckets dirty and repaint each run of dirty buckets
 * once at the end; a lookup in a dirty bucket asks the trie, so the index is
 * never wrong.
 */
final class V6Index {

    private static final long[] EMPTY = new long[0];
    private static final long MIN = Long.MIN_VALUE;

    private final int bits;
    private final int shift; // of the bucket's bits inside 2000::/3
    private final int inner; // 2^bits: the buckets of 2000::/3
    private final int nb; // every bucket: ::/3, the inner ones, then one per remaining /3
    private final long[][] dir;
    private final long[] dirty;
    private boolean anyDirty;

    // the segments of the range being repainted: start (hi, lo, unsigned) and value; consecutive values differ
    private long[] sHi = new long[256];
    private long[] sLo = new long[256];
    private boolean[] sVal = new boolean[256];
    private int n;
    private long loH, loL, hiH, hiL;

    V6Index(int bits) {
        if (bits < 1 || bits > 24) throw new IllegalArgumentException("bits must be 1..24, got " + bits);
        this.bits = bits;
        this.shift = 61 - bits;
        this.inner = 1 << bits;
        this.nb = inner + 7;
        this.dir = new long[nb][];
        this.dirty = new long[(nb + 63) >>> 6];
        Arrays.fill(dir, EMPTY);
    }

    int bits() {
        return bits;
    }

    boolean matches(long ahi, long alo, PrefixTrie trie) {
        int b = bucketOf(ahi);
        if (anyDirty && (dirty[b >>> 6] & (1L << b)) != 0) {
            PrefixTrie.Node node = trie.longest(ahi, alo);
            return node != null && !node.negated;
        }
        long[] t = dir[b];
        long kh = ahi ^ MIN;
        long kl = alo ^ MIN;
        int l = 0;
        int h = t.length >>> 1;
        while (l < h) {
            int mid = (l + h) >>> 1;
            long th = t[mid << 1];
            if (th < kh || (th == kh && t[(mid << 1) + 1] <= kl)) l = mid + 1;
            else h = mid;
        }
        return (l & 1) != 0;
    }

    /** The prefix {@code (phi, plo)/len} changed (an entry added, removed or its negation flipped). */
    void changed(long phi, long plo, int len, PrefixTrie trie, boolean defer) {
        long sh = phi & PrefixTrie.MASK_HI[len];
        long sl = plo & PrefixTrie.MASK_LO[len];
        long eh = sh | ~PrefixTrie.MASK_HI[len];
        long el = sl | ~PrefixTrie.MASK_LO[len];
        if (defer) {
            int first = bucketOf(sh);
            int last = bucketOf(eh);
            for (int b = first; b <= last; b++) dirty[b >>> 6] |= 1L << b;
            anyDirty = true;
            return;
        }
        rebuildDirty(trie);
        repaint(sh, sl, eh, el, trie);
    }

    /** Repaints every run of dirty buckets. */
    void rebuildDirty(PrefixTrie trie) {
        if (!anyDirty) return;
        anyDirty = false;
        int b = 0;
        while (b < nb) {
            if ((dirty[b >>> 6] & (1L << b)) == 0) {
                b++;
                continue;
            }
            int e = b;
            while (e + 1 < nb && (dirty[(e + 1) >>> 6] & (1L << (e + 1))) != 0) e++;
            for (int i = b; i <= e; i++) dirty[i >>> 6] &= ~(1L << i);
            repaint(bucketHi(b), 0, bucketEndHi(e), -1L, trie);
            b = e + 1;
        }
    }

    /**
     * The bucket of an address whose high 64 bits are {@code hi}: buckets are
     * numbered in address order, ::/3 first, then the 2^bits slices of
     * 2000::/3, then one bucket for each of 4000::/3 to e000::/3.
     */
    private int bucketOf(long hi) {
        int top = (int) (hi >>> 61);
        if (top == 1) return 1 + (int) ((hi >>> shift) & (inner - 1));
        return top == 0 ? 0 : inner + top - 1;
    }

    /** The high 64 bits of bucket {@code b}'s first address (its low 64 bits are 0). */
    private long bucketHi(int b) {
        if (b == 0) return 0;
        if (b <= inner) return (1L << 61) | ((long) (b - 1) << shift);
        return (long) (b - inner + 1) << 61;
    }

    /** The high 64 bits of bucket {@code b}'s last address (its low 64 bits are all ones). */
    private long bucketEndHi(int b) {
        return b == nb - 1 ? -1L : bucketHi(b + 1) - 1;
    }

    private static boolean lt(long ah, long al, long bh, long bl) {
        return ah != bh ? Long.compareUnsigned(ah, bh) < 0 : Long.compareUnsigned(al, bl) < 0;
    }

    /** Recomputes the answer over [s, e] (unsigned 128-bit, inclusive) from the trie and splices it in. */
    private void repaint(long sh, long sl, long eh, long el, PrefixTrie trie) {
        loH = sh;
        loL = sl;
        hiH = eh;
        hiL = el;
        n = 0;
        seg(sh, sl, false);
        PrefixTrie.Node root = trie.root();
        if (root != null && intersects(root)) {
            paint(root, false);
            long rh = root.hi | ~PrefixTrie.MASK_HI[root.len];
            long rl = root.lo | ~PrefixTrie.MASK_LO[root.len];
            if (lt(rh, rl, eh, el)) {
                long nl = rl + 1;
                seg(nl == 0 ? rh + 1 : rh, nl, false);
            }
        }
        int first = bucketOf(sh);
        int last = bucketOf(eh);
        int si = 0;
        for (int b = first; b <= last; b++) {
            long bsH = b == first ? sh : bucketHi(b);
            long bsL = b == first ? sl : 0;
            boolean toEnd = b != last || (el == -1L && bucketEndHi(b) == eh);
            long beH = b == last ? eh : bucketEndHi(b);
            long beL = b == last ? el : -1L;
            while (si + 1 < n && !lt(bsH, bsL, sHi[si + 1], sLo[si + 1])) si++;
            splice(b, si, bsH, bsL, beH, beL, toEnd);
        }
        if (sHi.length > 4096) { // a full build grew the scratch to every segment of the table: give it back
            sHi = new long[256];
            sLo = new long[256];
            sVal = new boolean[256];
        }
    }

    /** Replaces bucket {@code b}'s flip points in [bs, be + 1] with those of the segments from {@code si}. */
    private void splice(int b, int si, long bsH, long bsL, long beH, long beL, boolean toEnd) {
        long[] t = dir[b];
        int len = t.length >>> 1;
        int i0 = lowerBound(t, len, bsH ^ MIN, bsL ^ MIN); // first flip >= bs
        int i1; // first flip > be + 1 (or the end)
        long aH = 0;
        long aL = 0;
        if (toEnd) {
            i1 = len;
        } else {
            aL = beL + 1;
            aH = aL == 0 ? beH + 1 : beH;
            i1 = upperBound(t, len, aH ^ MIN, aL ^ MIN);
        }
        boolean before = (i0 & 1) != 0;
        boolean after = (i1 & 1) != 0;
        long[] add = new long[8];
        int k = 0;
        boolean last = before;
        for (int i = si; i < n; i++) {
            long ph = i == si ? bsH : sHi[i];
            long pl = i == si ? bsL : sLo[i];
            if (i != si && lt(beH, beL, ph, pl)) break;
            if (sVal[i] != last) {
                if (k + 2 > add.length) add = Arrays.copyOf(add, add.length * 2);
                add[k++] = ph ^ MIN;
                add[k++] = pl ^ MIN;
                last = sVal[i];
            }
        }
        if (!toEnd && after != last) {
            if (k + 2 > add.length) add = Arrays.copyOf(add, add.length * 2);
            add[k++] = aH ^ MIN;
            add[k++] = aL ^ MIN;
        }
        int keep = (len - (i1 - i0)) * 2;
        if (keep + k == 0) {
            dir[b] = EMPTY;
            return;
        }
        long[] r = new long[keep + k];
        System.arraycopy(t, 0, r, 0, i0 * 2);
        System.arraycopy(add, 0, r, i0 * 2, k);
        System.arraycopy(t, i1 * 2, r, i0 * 2 + k, (len - i1) * 2);
        dir[b] = r;
    }

    /** First pair index whose (biased) position is >= (kh, kl). */
    private static int lowerBound(long[] t, int len, long kh, long kl) {
        int l = 0;
        int h = len;
        while (l < h) {
            int mid = (l + h) >>> 1;
            long th = t[mid << 1];
            if (th < kh || (th == kh && t[(mid << 1) + 1] < kl)) l = mid + 1;
            else h = mid;
        }
        return l;
    }

    /** First pair index whose (biased) position is > (kh, kl). */
    private static int upperBound(long[] t, int len, long kh, long kl) {
        int l = 0;
        int h = len;
        while (l < h) {
            int mid = (l + h) >>> 1;
            long th = t[mid << 1];
            if (th < kh || (th == kh && t[(mid << 1) + 1] <= kl)) l = mid + 1;
            else h = mid;
        }
        return l;
    }

    private boolean intersects(PrefixTrie.Node x) {
        long eh = x.hi | ~PrefixTrie.MASK_HI[x.len];
        long el = x.lo | ~PrefixTrie.MASK_LO[x.len];
        return !lt(eh, el, loH, loL) && !lt(hiH, hiL, x.hi, x.lo);
    }

    /** Paints the part of {@code node}'s range inside the repainted range. */
    private void paint(PrefixTrie.Node node, boolean inherited) {
        boolean v = node.present ? !node.negated : inherited;
        long ch = node.hi;
        long cl = node.lo;
        if (lt(ch, cl, loH, loL)) {
            ch = loH;
            cl = loL;
        }
        for (int i = 0; i < 2; i++) {
            PrefixTrie.Node c = i == 0 ? node.left : node.right;
            if (c == null || !intersects(c)) continue;
            if (lt(ch, cl, c.hi, c.lo)) seg(ch, cl, v);
            paint(c, v);
            long eh = c.hi | ~PrefixTrie.MASK_HI[c.len];
            long el = c.lo | ~PrefixTrie.MASK_LO[c.len];
            if (!lt(eh, el, hiH, hiL)) return; // the child reaches the end of the range
            cl = el + 1;
            ch = cl == 0 ? eh + 1 : eh;
        }
        long eh = node.hi | ~PrefixTrie.MASK_HI[node.len];
        long el = node.lo | ~PrefixTrie.MASK_LO[node.len];
        if (lt(hiH, hiL, eh, el)) {
            eh = hiH;
            el = hiL;
        }
        if (!lt(eh, el, ch, cl)) seg(ch, cl, v);
    }

    private void seg(long ph, long pl, boolean v) {
        if (n > 0 && sHi[n - 1] == ph && sLo[n - 1] == pl) {
            n--; // superseded at the same position
        }
        if (n > 0 && sVal[n - 1] == v) return;
        if (n == sHi.length) {
            sHi = Arrays.copyOf(sHi, n * 2);
            sLo = Arrays.copyOf(sLo, n * 2);
            sVal = Arrays.copyOf(sVal, n * 2);
        }
        sHi[n] = ph;
        sLo[n] = pl;
        sVal[n] = v;
        n++;
    }
}
