package dev.palisade.core.net;

/**
 * An IPv4 or IPv6 address as primitives: IPv4 in the low 32 bits of {@code lo}
 * ({@code hi} is 0), IPv6 as two longs, most significant first.
 *
 * <p>Why not {@link java.net.InetAddress}: it may resolve names, it allocates
 * per packet and it prints IPv6 in a non-canonical form. Hot paths use the
 * static helpers on raw ints and longs; this record is for the model,
 * the tables' API and messages. {@link #toString()} is the canonical text:
 * dotted quad, or RFC 5952 for IPv6 (lower case, longest run of two or more
 * zero groups compressed, the first such run on a tie).
 */
public record IpAddress(boolean v6, long hi, long lo) implements Comparable<IpAddress> {

    public IpAddress {
        if (!v6 && (hi != 0 || (lo >>> 32) != 0)) {
            throw new IllegalArgumentException("IPv4 address out of range: hi=" + hi + " lo=" + lo);
        }
    }

    public static IpAddress ofV4(int addr) {
        return new IpAddress(false, 0, addr & 0xffffffffL);
    }

    public static IpAddress ofV6(long hi, long lo) {
        return new IpAddress(true, hi, lo);
    }

    /** 4 or 16 bytes in network order. */
    public static IpAddress ofBytes(byte[] b) {
        return ofBytes(b, 0, b.length);
    }

    public static IpAddress ofBytes(byte[] b, int off, int len) {
        if (len == 4) {
            return ofV4(((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff));
        }
        if (len == 16) {
            return ofV6(readLong(b, off), readLong(b, off + 8));
        }
        throw new IllegalArgumentException("address must be 4 or 16 bytes, got " + len);
    }

    private static long readLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }

    public int bits() {
        return v6 ? 128 : 32;
    }

    public int v4() {
        if (v6) throw new IllegalStateException("not an IPv4 address: " + this);
        return (int) lo;
    }

    public byte[] toBytes() {
        if (!v6) {
            int a = (int) lo;
            return new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    /** True for ::ffff:a.b.c.d. */
    public boolean isV4Mapped() {
        return v6 && hi == 0 && (lo >>> 32) == 0xffffL;
    }

    /** An IPv4-mapped IPv6 address as IPv4; any other address unchanged. */
    public IpAddress unmapV4() {
        return isV4Mapped() ? ofV4((int) lo) : this;
    }

    /** The address with every bit below {@code prefixLen} cleared. */
    public IpAddress mask(int prefixLen) {
        checkPrefixLen(prefixLen, bits());
        if (!v6) {
            long m = prefixLen == 0 ? 0 : (0xffffffffL << (32 - prefixLen)) & 0xffffffffL;
            return new IpAddress(false, 0, lo & m);
        }
        return new IpAddress(true, hi & maskHi(prefixLen), lo & maskLo(prefixLen));
    }

    /** The address with every bit below {@code prefixLen} set (the broadcast of a network). */
    public IpAddress fillHostBits(int prefixLen) {
        checkPrefixLen(prefixLen, bits());
        if (!v6) {
            long m = prefixLen == 0 ? 0 : (0xffffffffL << (32 - prefixLen)) & 0xffffffffL;
            return new IpAddress(false, 0, (lo | ~m) & 0xffffffffL);
        }
        return new IpAddress(true, hi | ~maskHi(prefixLen), lo | ~maskLo(prefixLen));
    }

    static long maskHi(int len) {
        return len == 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
    }

    static long maskLo(int len) {
        return len <= 64 ? 0 : len >= 128 ? -1L : -1L << (128 - len);
    }

    static void checkPrefixLen(int len, int bits) {
        if (len < 0 || len > bits) {
            throw new IllegalArgumentException("prefix length " + len + " out of range 0.." + bits);
        }
    }

    @Override
    public int compareTo(IpAddress o) {
        if (v6 != o.v6) return v6 ? 1 : -1;
        int c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }

    /**
     * Parses a literal address: dotted quad (exactly four decimal parts) or IPv6
     * text (RFC 4291 forms, including an embedded dotted quad). Returns null when
     * the text is not an address literal; never resolves names.
     */
    public static IpAddress tryParse(CharSequence s) {
        if (s == null || s.isEmpty()) return null;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == ':') return parseV6(s);
        }
        int v = parseV4(s, 0, s.length());
        return v == -1 && !isAllOnes(s) ? null : ofV4(v);
    }

    private static boolean isAllOnes(CharSequence s) {
        return "255.255.255.255".contentEquals(s);
    }

    /** Like {@link #tryParse} but throws with a message naming the input. */
    public static IpAddress parse(CharSequence s) {
        IpAddress a = tryParse(s);
        if (a == null) throw new IllegalArgumentException("invalid IP address: \"" + s + "\"");
        return a;
    }

    /** Dotted quad in s[from, to) as an int, or -1 when invalid (255.255.255.255 is checked by the caller). */
    static int parseV4(CharSequence s, int from, int to) {
        int parts = 0;
        int value = 0;
        int i = from;
        while (i < to) {
            int start = i;
            int part = 0;
            while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                part = part * 10 + (s.charAt(i) - '0');
                if (part > 255 || i - start >= 3) return -1;
                i++;
            }
            if (i == start) return -1;
            value = (value << 8) | part;
            parts++;
            if (i < to) {
                if (s.charAt(i) != '.' || parts == 4) return -1;
                i++;
                if (i == to) return -1;
            }
        }
        return parts == 4 ? value : -1;
    }

    private static IpAddress parseV6(CharSequence s) {
        int n = s.length();
        int[] groups = new int[8];
        int count = 0;
        int gap = -1;
        int i = 0;
        if (n >= 2 && s.charAt(0) == ':') {
            if (s.charAt(1) != ':') return null;
            gap = 0;
            i = 2;
            if (i == n) return ofV6(0, 0);
        }
        while (i < n) {
            if (count == 8) return null;
            int start = i;
            int v = 0;
            while (i < n && Character.digit(s.charAt(i), 16) >= 0 && i - start < 4) {
                v = (v << 4) | Character.digit(s.charAt(i), 16);
                i++;
            }
            if (i < n && s.charAt(i) == '.') {
                // embedded IPv4 in the last 32 bits
                if (count > 6) return null;
                int v4 = parseV4(s, start, n);
                if (v4 == -1 && !"255.255.255.255".contentEquals(s.subSequence(start, n))) return null;
                groups[count++] = (v4 >>> 16) & 0xffff;
                groups[count++] = v4 & 0xffff;
                i = n;
                break;
            }
            if (i == start) return null;
            groups[count++] = v;
            if (i == n) break;
            if (s.charAt(i) != ':') return null;
            i++;
            if (i < n && s.charAt(i) == ':') {
                if (gap >= 0) return null;
                gap = count;
                i++;
                if (i == n) break;
            } else if (i == n) {
                return null;
            }
        }
        if (gap < 0 && count != 8) return null;
        if (gap >= 0 && count == 8) return null;
        int[] full = new int[8];
        if (gap < 0) {
            full = groups;
        } else {
            int tail = count - gap;
            System.arraycopy(groups, 0, full, 0, gap);
            System.arraycopy(groups, gap, full, 8 - tail, tail);
        }
        long hi = 0, lo = 0;
        for (int g = 0; g < 4; g++) hi = (hi << 16) | full[g];
        for (int g = 4; g < 8; g++) lo = (lo << 16) | full[g];
        return ofV6(hi, lo);
    }

    @Override
    public String toString() {
        byte[] b = new byte[MAX_TEXT];
        int n = format(v6, hi, lo, b, 0);
        return new String(b, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** The longest text {@link #format} writes: a full IPv6 address, 39 bytes. */
    public static final int MAX_TEXT = 39;

    /**
     * Writes the address as ASCII into {@code dst} at {@code off} (dotted quad, or RFC 5952:
     * lower case, no leading zeros, the longest run of two or more zero groups as {@code ::},
     * the first of equal runs); returns the offset after it. For IPv4, {@code lo} holds the
     * address in its low 32 bits. At most {@link #MAX_TEXT} bytes.
     */
    public static int format(boolean v6, long hi, long lo, byte[] dst, int off) {
        if (!v6) {
            int a = (int) lo;
            for (int shift = 24; shift >= 0; shift -= 8) {
                off = decimal3((a >>> shift) & 0xff, dst, off);
                if (shift > 0) dst[off++] = '.';
            }
            return off;
        }
        int bestStart = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (group(hi, lo, i) != 0) { i++; continue; }
            int j = i;
            while (j < 8 && group(hi, lo, j) == 0) j++;
            if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
            i = j;
        }
        int start = off;
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                dst[off++] = ':';
                dst[off++] = ':';
                i += bestLen - 1;
                continue;
            }
            if (off > start && dst[off - 1] != ':') dst[off++] = ':';
            int g = group(hi, lo, i);
            boolean any = false;
            for (int shift = 12; shift >= 0; shift -= 4) {
                int d = (g >>> shift) & 0xf;
                if (d == 0 && !any && shift > 0) continue;
                any = true;
                dst[off++] = (byte) (d < 10 ? '0' + d : 'a' + d - 10);
            }
        }
        return off;
    }

    private static int group(long hi, long lo, int i) {
        return (int) ((i < 4 ? hi : lo) >>> (48 - 16 * (i & 3))) & 0xffff;
    }

    /** Writes {@code v} (0 to 999) in decimal, ASCII; returns the offset after it. */
    public static int decimal3(int v, byte[] dst, int off) {
        if (v >= 100) dst[off++] = (byte) ('0' + v / 100);
        if (v >= 10) dst[off++] = (byte) ('0' + v / 10 % 10);
        dst[off++] = (byte) ('0' + v % 10);
        return off;
    }

    public static String v4ToString(int a) {
        byte[] b = new byte[15];
        return new String(b, 0, format(false, 0, a, b, 0), java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
