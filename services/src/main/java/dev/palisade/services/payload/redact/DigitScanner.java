package dev.palisade.services.payload.redact;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds payment card numbers and US social security numbers in bytes, in
 * one pass, without regular expressions.
 *
 * <p>Why hand-written: the redact diverter must scan 1,400-byte payloads at
 * 200k packets/s on one thread (280 MB/s). A regex engine tries every
 * position; this scanner does one unsigned compare per byte and only looks
 * closer at runs of digits, and only where enough digits lie close
 * together (see {@link #scan}). Digits are found 8 bytes per step with a
 * SWAR range test ({@link #digitBits}); where digits are dense, runs are
 * found in bitmaps and only runs long enough to hold a match are looked at
 * byte by byte ({@code denseRuns}).
 *
 * <p>The model: a <em>run</em> is digits in <em>groups</em>, a group being
 * consecutive ASCII digits, two groups joined by exactly one space or dash.
 * Candidates are windows of consecutive whole groups of a run, so a number
 * never starts or ends inside a group ("12345678901234567890" is one
 * 20-digit group and holds no card):
 *
 * <ul>
 * <li><b>card</b>: 13 to 19 digits in total, the first digit 2 to 6 (the
 *     IIN ranges of Visa, Mastercard, Amex, Discover, JCB, Diners,
 *     UnionPay, Maestro; this keeps 13-digit millisecond timestamps out),
 *     and a valid Luhn check digit;
 * <li><b>ssn</b>: groups of 3, 2 and 4 digits joined by the same separator
 *     ({@code 123-45-6789} or {@code 123 45 6789}), not joined to the
 *     groups around it by that separator, and outside the ranges the SSA
 *     never issues: area 000, 666 or 900-999, group 00, serial 0000.
 *     Nine digits without separators are not taken for an SSN (too many
 *     other numbers look like that).
 * </ul>
 *
 * Windows are tried left to right; at each group a card is tried before an
 * SSN, the shortest valid card first; matches never overlap. Cost: O(n) in
 * the bytes plus O(g * 7) Luhn sums for a run of g groups.
 *
 * <p>Not thread-safe: one scanner per diverter, used under its lock.
 */
final class DigitScanner {

    static final int MAX_GROUPS = 64;

    private final int[] gs = new int[MAX_GROUPS];
    private final int[] ge = new int[MAX_GROUPS];
    private final byte[] sep = new byte[MAX_GROUPS];

    private final boolean cards;
    private final boolean ssns;
    private final int cardIndex;
    private final int ssnIndex;

    /**
     * @param cardIndex the pattern index reported for cards, or -1 to not look for cards
     * @param ssnIndex  the pattern index reported for SSNs, or -1
     */
    DigitScanner(int cardIndex, int ssnIndex) {
        this.cards = cardIndex >= 0;
        this.ssns = ssnIndex >= 0;
        this.cardIndex = cardIndex;
        this.ssnIndex = ssnIndex;
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long BELOW = ONES * (127 + ('9' + 1)); // per byte: high bit survives the subtraction iff x < ':'
    private static final long ABOVE = ONES * (127 - ('0' - 1)); // per byte: high bit set by the addition iff x > '/'

    /**
     * The high bit of each byte of {@code w} that is an ASCII digit, others 0.
     * Per byte, with v = x &amp; 0x7f: (127 + ':' - v) has its high bit iff
     * v &lt; ':', (v + 127 - '/') has it iff v &gt; '/', and ~x keeps bytes
     * below 128; no byte borrows from or carries into its neighbour.
     */
    static long digitBits(long w) {
        long low7 = w & (ONES * 127);
        return (BELOW - low7) & ~w & (low7 + ABOVE) & HIGHS;
    }

    /** Above one digit in DENSE bytes, the windows are skipped (measured with RedactBench: text and digits). */
    static final int DENSE = 16;

    /** Digit counts per 8-byte word of the current scan (grown as needed). */
    private int[] counts = new int[256];

    /**
     * Appends the matches in {@code b[from, to)} to {@code out}, as absolute
     * offsets into b.
     *
     * <p>Two passes. First, the digits of each 8-byte word are counted
     * (SWAR, no branches). Every candidate has at least 9 digits (13 for a
     * card alone) within 37 bytes (19 digits and 18 separators), so within
     * at most 6 consecutive words; only where 6 consecutive words hold that
     * many digits does the second pass look at bytes and runs. Plain text,
     * markup and binary data rarely get there, which spares the branch
     * mispredictions that isolated digits would otherwise cost.
     */
    void scan(byte[] b, int from, int to, Matches out) {
        int len = to - from;
        int words = len >>> 3;
        int all = words + ((len & 7) != 0 ? 1 : 0);
        if (counts.length < all) counts = new int[Math.max(all, counts.length * 2)];
        int[] c = counts;
        for (int k = 0; k < words; k++) {
            c[k] = Long.bitCount(digitBits((long) LONGS.get(b, from + 8 * k)));
        }
        if (all > words) {
            int n = 0;
            for (int i = from + 8 * words; i < to; i++) if ((b[i] - '0' & 0xff) < 10) n++;
            c[words] = n;
        }
        int need = ssns ? 9 : 13;
        int total = 0;
        for (int k = 0; k < all; k++) total += c[k];
        if (total < need) return;
        if (total * DENSE > len) {
            // Digits everywhere (CSV, JSON numbers): windows would fire on most
            // words; the bitmap pass finds the runs without a branch per byte.
            denseRuns(b, from, to, out);
            return;
        }
        int sum = 0;
        int pos = from; // runs starting before pos have been judged
        for (int k = 0; k < all; k++) {
            sum += c[k];
            if (k >= 6) sum -= c[k - 6];
            if (sum < need) continue;
            int start = Math.max(pos, from + 8 * Math.max(0, k - 5));
            // Back up to the start of a run cut by the word boundary (never into judged bytes).
            while (start > pos && (digit(b[start - 1]) || (sepByte(b[start - 1]) && start - 2 >= pos && digit(b[start - 2])))) start--;
            pos = runs(b, start, Math.min(to, from + 8 * (k + 1)), to, out);
        }
    }

    private long[] digitMap = new long[32];
    private long[] runMap = new long[32];
    private long[] longMap = new long[32];

    /**
     * Judges the runs of {@code b[from, to)} that hold enough digits, found
     * with bitmaps (bit k = byte from + k): D marks digits, S the single
     * separators, and a run is a maximal stretch of D | (S &amp; D&lt;&lt;1
     * &amp; D&gt;&gt;1), a separator with a digit on each side. Each run is
     * found with two trailing-zero counts and its digits counted with one
     * popcount; only runs with enough digits go to the byte-level
     * {@link #runs}. Text full of short numbers (dates, prices, ids) thus
     * costs a few word operations per 8 bytes and per run, not a
     * mispredicted branch at the end of every group.
     */
    private void denseRuns(byte[] b, int from, int to, Matches out) {
        int len = to - from;
        int nw = (len + 63) >>> 6;
        if (digitMap.length < nw) {
            digitMap = new long[Math.max(nw, 2 * digitMap.length)];
            runMap = new long[digitMap.length];
            longMap = new long[digitMap.length];
        }
        long[] d = digitMap;
        long[] r = runMap;
        for (int k = 0; k < nw; k++) {
            int at = from + (k << 6);
            long dk = 0;
            long sk = 0;
            if (to - at >= 64) {
                for (int q = 0; q < 8; q++) {
                    long w = (long) LONGS.get(b, at + 8 * q);
                    dk |= gather(digitBits(w)) << (8 * q);
                    sk |= gather(sepBits(w)) << (8 * q);
                }
            } else {
                for (int q = 0; at + q < to; q++) {
                    byte x = b[at + q];
                    if (digit(x)) dk |= 1L << q;
                    else if (sepByte(x)) sk |= 1L << q;
                }
            }
            d[k] = dk;
            r[k] = sk; // separators for now
        }
        for (int k = 0; k < nw; k++) {
            long left = d[k] << 1 | (k > 0 ? d[k - 1] >>> 63 : 0);   // bit i: byte i-1 is a digit
            long right = d[k] >>> 1 | (k + 1 < nw ? d[k + 1] << 63 : 0); // bit i: byte i+1 is a digit
            r[k] = d[k] | (r[k] & left & right);
        }
        int need = ssns ? 9 : 13;
        // A run with `need` digits is at least `need` bytes long: mark where
        // `need` consecutive run bytes begin, so short runs (most numbers in
        // text and CSV) are never visited one by one.
        long[] l = longMap;
        for (int k = 0; k < nw; k++) {
            long x = r[k];
            for (int n = 1; n < need; n++) x &= r[k] >>> n | (k + 1 < nw ? r[k + 1] << (64 - n) : 0);
            l[k] = x;
        }
        int p = 0;
        while (true) {
            int at = nextSet(l, p, nw);
            if (at < 0) return;
            int s = prevClear(r, at) + 1;
            int e = nextClear(r, at, nw);
            if (countBits(d, s, e) >= need) runs(b, from + s, from + e, to, out);
            p = e;
        }
    }

    /** The last clear bit of {@code m} before {@code p}, or -1. */
    private static int prevClear(long[] m, int p) {
        int k = p >>> 6;
        long x = ~m[k] & ((1L << (p & 63)) - 1);
        while (x == 0) {
            if (--k < 0) return -1;
            x = ~m[k];
        }
        return (k << 6) + 63 - Long.numberOfLeadingZeros(x);
    }

    /** One bit per byte: bit i set iff byte i of {@code w} has its high bit (the SWAR tests' output). */
    private static long gather(long highs) {
        return ((highs >>> 7) * 0x0102040810204080L) >>> 56;
    }

    private static final long LOW7 = ONES * 127;

    /** The high bit of each byte of {@code w} that is ' ' or '-', others 0 (exact per byte, no carries). */
    static long sepBits(long w) {
        return zeroBytes(w ^ (ONES * ' ')) | zeroBytes(w ^ (ONES * '-'));
    }

    private static long zeroBytes(long v) {
        return ~(((v & LOW7) + LOW7) | v) & HIGHS;
    }

    private static int nextSet(long[] m, int p, int nw) {
        int k = p >>> 6;
        if (k >= nw) return -1;
        long x = m[k] & (-1L << p);
        while (x == 0) {
            if (++k >= nw) return -1;
            x = m[k];
        }
        return (k << 6) + Long.numberOfTrailingZeros(x);
    }

    private static int nextClear(long[] m, int p, int nw) {
        int k = p >>> 6;
        long x = ~m[k] & (-1L << p);
        while (x == 0) {
            if (++k >= nw) return nw << 6;
            x = ~m[k];
        }
        return (k << 6) + Long.numberOfTrailingZeros(x);
    }

    /** Set bits of {@code m} in [s, e). */
    private static int countBits(long[] m, int s, int e) {
        int ks = s >>> 6;
        int ke = (e - 1) >>> 6;
        if (ks == ke) return Long.bitCount(m[ks] & (-1L << s) & (-1L >>> (63 - ((e - 1) & 63))));
        int n = Long.bitCount(m[ks] & (-1L << s));
        for (int k = ks + 1; k < ke; k++) n += Long.bitCount(m[k]);
        return n + Long.bitCount(m[ke] & (-1L >>> (63 - ((e - 1) & 63))));
    }

    /** The reference for tests: every run judged, no windowing. */
    void scanEveryRun(byte[] b, int from, int to, Matches out) {
        runs(b, from, to, to, out);
    }

    private static boolean digit(byte x) {
        return (x - '0' & 0xff) < 10;
    }

    private static boolean sepByte(byte x) {
        return x == ' ' || x == '-';
    }

    /**
     * Judges the runs that start in {@code [from, startLimit)}; a run may go
     * on up to {@code to}. Returns where judged bytes end.
     */
    private int runs(byte[] b, int from, int startLimit, int to, Matches out) {
        int i = from;
        int need = ssns ? 9 : 13;
        while (i < startLimit) {
            // Skip 8 bytes at a time while they hold no digit.
            while (i + 8 <= startLimit) {
                long d = digitBits((long) LONGS.get(b, i));
                if (d != 0) {
                    i += Long.numberOfTrailingZeros(d) >>> 3;
                    break;
                }
                i += 8;
            }
            if (i >= startLimit) break;
            if ((b[i] - '0' & 0xff) >= 10) {
                i++;
                continue;
            }
            // A run starts at i: collect its groups.
            int n = 0;
            int j = i;
            int digits = 0;
            while (true) {
                int s = j;
                j = digitsEnd(b, j, to);
                digits += j - s;
                gs[n] = s;
                ge[n] = j;
                n++;
                if (n == MAX_GROUPS || j + 1 >= to) break;
                byte c = b[j];
                // one branch, not three: whether a run goes on is data, not predictable
                if (!((c == ' ' | c == '-') & (b[j + 1] - '0' & 0xff) < 10)) break;
                sep[n - 1] = c;
                j++;
            }
            sep[n - 1] = 0;
            if (digits >= need) judgeRun(b, n, out);
            i = j;
        }
        return Math.max(i, startLimit);
    }

    /**
     * The end of the digits starting at {@code j} (before {@code to}): 8
     * bytes per step, so a group's end costs one well-predicted branch
     * instead of a byte loop's mispredicted exit (most groups are shorter
     * than 8 digits).
     */
    private static int digitsEnd(byte[] b, int j, int to) {
        while (j + 8 <= to) {
            long other = ~digitBits((long) LONGS.get(b, j)) & HIGHS;
            if (other != 0) return j + (Long.numberOfTrailingZeros(other) >>> 3);
            j += 8;
        }
        while (j < to && digit(b[j])) j++;
        return j;
    }

    private void judgeRun(byte[] b, int n, Matches out) {
        int g = 0;
        while (g < n) {
            int next = cards ? card(b, g, n, out) : -1;
            if (next < 0 && ssns) next = ssn(b, g, n, out);
            g = next < 0 ? g + 1 : next;
        }
    }

    /** Tries cards starting at group g; returns the group after the match, or -1. */
    private int card(byte[] b, int g, int n, Matches out) {
        int first = b[gs[g]] - '0';
        if (first < 2 || first > 6) return -1;
        int digits = 0;
        for (int e = g; e < n; e++) {
            digits += ge[e] - gs[e];
            if (digits > 19) return -1;
            if (digits >= 13 && luhn(b, g, e)) {
                out.add(cardIndex, gs[g], ge[e]);
                return e + 1;
            }
        }
        return -1;
    }

    private boolean luhn(byte[] b, int g, int e) {
        int sum = 0;
        boolean dbl = false;
        for (int k = e; k >= g; k--) {
            for (int p = ge[k] - 1; p >= gs[k]; p--) {
                int d = b[p] - '0';
                if (dbl) {
                    d *= 2;
                    if (d > 9) d -= 9;
                }
                sum += d;
                dbl = !dbl;
            }
        }
        return sum % 10 == 0;
    }

    private int ssn(byte[] b, int g, int n, Matches out) {
        if (g + 2 >= n) return -1;
        if (ge[g] - gs[g] != 3 || ge[g + 1] - gs[g + 1] != 2 || ge[g + 2] - gs[g + 2] != 4) return -1;
        byte s = sep[g];
        if (sep[g + 1] != s) return -1;
        if (g > 0 && sep[g - 1] == s) return -1;
        if (sep[g + 2] == s) return -1;
        int area = num(b, gs[g], 3);
        int group = num(b, gs[g + 1], 2);
        int serial = num(b, gs[g + 2], 4);
        if (!validSsn(area, group, serial)) return -1;
        out.add(ssnIndex, gs[g], ge[g + 2]);
        return g + 3;
    }

    /** The SSA's rules: area 001-665, 667-899; group 01-99; serial 0001-9999. */
    static boolean validSsn(int area, int group, int serial) {
        return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
    }

    private static int num(byte[] b, int off, int len) {
        int v = 0;
        for (int k = 0; k < len; k++) v = v * 10 + (b[off + k] - '0');
        return v;
    }
}
