package dev.palisade.kernel.nfqueue;

/**
 * Recomputes the IPv4 header checksum and the TCP/UDP checksum of a whole IP
 * packet in place, so a diverter may rewrite bytes without doing the
 * arithmetic (RFC 1071 one's-complement sum; pseudo-headers of RFC 793/768
 * and RFC 8200 section 8.1). Packets it does not understand (fragments,
 * IPv6 extension headers, truncated) are left as they are.
 */
public final class Checksums {

    private Checksums() {}

    public static void fix(byte[] p) {
        if (p.length < 1) return;
        int version = (p[0] & 0xff) >>> 4;
        if (version == 4) fix4(p);
        else if (version == 6) fix6(p);
    }

    private static void fix4(byte[] p) {
        if (p.length < 20) return;
        int ihl = (p[0] & 0x0f) * 4;
        int total = u16(p, 2);
        if (ihl < 20 || total > p.length || total < ihl) return;
        p[10] = 0;
        p[11] = 0;
        put16(p, 10, fold(sum(p, 0, ihl, 0)));
        int frag = u16(p, 6);
        if ((frag & 0x3fff) != 0) return; // a fragment: the L4 checksum spans other packets
        int proto = p[9] & 0xff;
        long pseudo = u16(p, 12) + u16(p, 14) + u16(p, 16) + u16(p, 18) + proto + (total - ihl);
        l4(p, ihl, total, proto, pseudo);
    }

    private static void fix6(byte[] p) {
        if (p.length < 40) return;
        int total = 40 + u16(p, 4);
        if (total > p.length) return;
        int proto = p[6] & 0xff; // XXX extension headers are not walked; such packets keep their checksum
        long pseudo = sum(p, 8, 32, 0) + proto + (total - 40);
        l4(p, 40, total, proto, pseudo);
    }

    private static void l4(byte[] p, int off, int end, int proto, long pseudo) {
        int at;
        if (proto == 6 && end - off >= 20) at = off + 16;
        else if (proto == 17 && end - off >= 8) at = off + 6;
        else return;
        boolean v4Udp = proto == 17 && ((p[0] & 0xff) >>> 4) == 4;
        if (v4Udp && p[at] == 0 && p[at + 1] == 0) return; // IPv4 UDP without checksum stays so
        p[at] = 0;
        p[at + 1] = 0;
        int c = fold(sum(p, off, end - off, pseudo));
        if (proto == 17 && c == 0) c = 0xffff;
        put16(p, at, c);
    }

    static long sum(byte[] p, int off, int len, long acc) {
        int i = off, end = off + len;
        for (; i + 1 < end; i += 2) acc += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        if (i < end) acc += (p[i] & 0xff) << 8;
        return acc;
    }

    static int fold(long s) {
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) (~s & 0xffff);
    }

    private static int u16(byte[] p, int o) {
        return ((p[o] & 0xff) << 8) | (p[o + 1] & 0xff);
    }

    private static void put16(byte[] p, int o, int v) {
        p[o] = (byte) (v >>> 8);
        p[o + 1] = (byte) v;
    }
}
