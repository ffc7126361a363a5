package dev.palisade.services;

import dev.palisade.core.net.IpAddress;

/**
 * The few fields the seed diverters need from a diverted packet: addresses,
 * protocol and ports, read from the raw IPv4 or IPv6 bytes.
 *
 * <p>XXX replace with core.packet decoder: the full decoder (branch
 * {@code packets}) was not merged when the seed services were written; this
 * is the only place that reads raw headers in {@code services}, so the
 * switch is one class. It is public only because two packages (tripwire,
 * dnsbl) share it.
 *
 * @param src     source address
 * @param dst     destination address
 * @param proto   the transport protocol number (6 TCP, 17 UDP, ...)
 * @param srcPort the source port, or -1 when there is none (not TCP/UDP/SCTP, or a later fragment)
 * @param dstPort the destination port, or -1
 */
public record PacketFields(IpAddress src, IpAddress dst, int proto, int srcPort, int dstPort) {

    /**
     * Decodes the headers of {@code p}; null when the bytes are not an IPv4
     * or IPv6 packet long enough to hold its addresses.
     */
    public static PacketFields decode(byte[] p) {
        if (p == null || p.length < 1) return null;
        int version = (p[0] & 0xff) >>> 4;
        if (version == 4) {
            if (p.length < 20) return null;
            int ihl = (p[0] & 0x0f) * 4;
            if (ihl < 20 || p.length < ihl) return null;
            IpAddress src = IpAddress.ofBytes(p, 12, 4);
            IpAddress dst = IpAddress.ofBytes(p, 16, 4);
            int proto = p[9] & 0xff;
            int fragOffset = ((p[6] & 0x1f) << 8) | (p[7] & 0xff);
            return withPorts(p, src, dst, proto, ihl, fragOffset == 0);
        }
        if (version == 6) {
            if (p.length < 40) return null;
            IpAddress src = IpAddress.ofBytes(p, 8, 16);
            IpAddress dst = IpAddress.ofBytes(p, 24, 16);
            int next = p[6] & 0xff;
            int off = 40;
            boolean first = true;
            // Walk the extension headers that may precede the transport header.
            for (int hops = 0; hops < 16; hops++) {
                if (next == 0 || next == 43 || next == 60) { // hop-by-hop, routing, destination options
                    if (p.length < off + 8) return new PacketFields(src, dst, next, -1, -1);
                    int len = ((p[off + 1] & 0xff) + 1) * 8;
                    next = p[off] & 0xff;
                    off += len;
                } else if (next == 44) { // fragment
                    if (p.length < off + 8) return new PacketFields(src, dst, next, -1, -1);
                    int fo = ((p[off + 2] & 0xff) << 5) | ((p[off + 3] & 0xff) >>> 3);
                    first = fo == 0;
                    next = p[off] & 0xff;
                    off += 8;
                } else {
                    break;
                }
            }
            return withPorts(p, src, dst, next, off, first);
        }
        return null;
    }

    private static PacketFields withPorts(byte[] p, IpAddress src, IpAddress dst, int proto, int off, boolean first) {
        boolean ported = proto == 6 || proto == 17 || proto == 132 || proto == 136;
        if (!ported || !first || p.length < off + 4) return new PacketFields(src, dst, proto, -1, -1);
        int sp = ((p[off] & 0xff) << 8) | (p[off + 1] & 0xff);
        int dp = ((p[off + 2] & 0xff) << 8) | (p[off + 3] & 0xff);
        return new PacketFields(src, dst, proto, sp, dp);
    }

    /** {@code ADDR:PORT}, IPv6 as {@code [ADDR]:PORT}; the address alone when there is no port. */
    public static String endpoint(IpAddress a, int port) {
        if (port < 0) return a.toString();
        return a.v6() ? "[" + a + "]:" + port : a + ":" + port;
    }

    /** The log form of a packet: {@code SRC:PORT -> DST:PORT}. */
    public String flow() {
        return endpoint(src, srcPort) + " -> " + endpoint(dst, dstPort);
    }
}
