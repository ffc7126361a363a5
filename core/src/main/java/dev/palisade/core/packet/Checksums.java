package dev.palisade.core.packet;

/**
 * Internet checksums (RFC 1071): the IPv4 header checksum and the TCP, UDP,
 * ICMP and ICMPv6 checksums with their pseudo-headers (RFC 793, 768, 8200
 * 8.1), and {@link #fixChecksums(byte[])} which recomputes them all after a
 * packet was rewritten (what payload diverters need before they hand a
 * packet back).
 *
 * <p>Why sums over ints: the one's-complement sum of 16-bit words can be
 * accumulated in a 32-bit int and folded once at the end, since a packet is
 * at most 64 KiB (2^16 words of at most 2^16 fit in 2^32).
 */
public final class Checksums {
    private Checksums() {}

    /** Adds the 16-bit big-endian words of {@code b[off..off+len)} to {@code sum} (odd trailing byte padded with zero). */
    public static int sum(byte[] b, int off, int len, int sum) {
        int i = off;
        int end = off + len - 1;
        for (; i < end; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        if (i == end) {
            sum += (b[i] & 0xff) << 8;
        }
        return fold32(sum);
    }

    private static int fold32(int sum) {
        // keep the running sum well inside 32 bits
        long s = sum & 0xffffffffL;
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    /** Folds and complements a running sum into a checksum field value. */
    public static int finish(int sum) {
        return ~fold32(sum) & 0xffff;
    }

    /** The IPv4 header checksum of the header at {@code off} (IHL from the header), field taken as zero. */
    public static int ipv4Header(byte[] b, int off) {
        int hl = (b[off] & 0x0f) << 2;
        int s = sum(b, off, hl, 0);
        s += ~Packet.u16(b, off + 10) & 0xffff; // one's-complement subtraction of the field
        return finish(s);
    }

    /** True when the IPv4 header checksum at {@code off} is right. */
    public static boolean ipv4HeaderOk(byte[] b, int off) {
        int hl = (b[off] & 0x0f) << 2;
        return fold32(sum(b, off, hl, 0)) == 0xffff;
    }

    /**
     * The pseudo-header sum for a transport checksum: addresses of the
     * decoded packet, protocol and transport length.
     */
    public static int pseudoHeader(Packet p, int proto, int l4Len) {
        byte[] b = p.buffer();
        int o = p.offset();
        int s;
        if (p.af() == 4) {
            s = sum(b, o + 12, 8, 0);
        } else {
            s = sum(b, o + 8, 32, 0);
        }
        s += proto;
        s += l4Len & 0xffff;
        s += l4Len >>> 16;
        return fold32(s);
    }

    /**
     * Computes the transport checksum (TCP, UDP, ICMP, ICMPv6) of a decoded,
     * unfragmented packet, the checksum field taken as zero. ICMP over IPv4
     * has no pseudo-header.
     */
    public static int transport(Packet p) {
        byte[] b = p.buffer();
        int l4 = p.transportOffset();
        int l4Len = p.offset() + p.ipLength() - l4;
        int proto = p.proto();
        int field = checksumField(proto);
        int s = proto == Packet.PROTO_ICMP ? 0 : pseudoHeader(p, proto, l4Len);
        s = sum(b, l4, l4Len, s);
        s += ~Packet.u16(b, l4 + field) & 0xffff; // one's-complement subtraction of the field
        int c = finish(s);
        if (proto == Packet.PROTO_UDP && c == 0) {
            c = 0xffff;
        }
        return c;
    }

    /** True when the transport checksum of an unfragmented packet is right (an IPv4 UDP checksum of 0 means none). */
    public static boolean transportOk(Packet p) {
        int field = checksumField(p.proto());
        int have = Packet.u16(p.buffer(), p.transportOffset() + field);
        if (p.proto() == Packet.PROTO_UDP && p.af() == 4 && have == 0) {
            return true;
        }
        return have == transport(p);
    }

    private static int checksumField(int proto) {
        return switch (proto) {
            case Packet.PROTO_TCP -> 16;
            case Packet.PROTO_UDP -> 6;
            case Packet.PROTO_ICMP, Packet.PROTO_ICMPV6 -> 2;
            default -> throw new IllegalArgumentException("no transport checksum for protocol " + proto);
        };
    }

    private static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    /**
     * Recomputes the IPv4 header checksum and the TCP, UDP, ICMP or ICMPv6
     * checksum of the IP packet in {@code packet} (starting at index 0), in
     * place. Fragments get only the IPv4 header checksum (their transport
     * checksum covers bytes not here). An IPv4 UDP checksum of zero (none) is
     * left zero. Returns false, changing nothing, when the packet does not
     * decode.
     */
    public static boolean fixChecksums(byte[] packet) {
        Packet p = new Packet();
        Malformed m = p.decode(packet, 0, packet.length);
        if (p.af() == 4 && p.ipHeaderLength() >= 20 && p.ipHeaderLength() <= packet.length
                && m != Malformed.BAD_HEADER_LENGTH) {
            if (m == Malformed.NONE || m == Malformed.BAD_EMBEDDED) {
                put16(packet, 10, ipv4Header(packet, 0));
            } else {
                return false;
            }
        } else if (m != Malformed.NONE && m != Malformed.BAD_EMBEDDED) {
            return false;
        }
        if (p.fragmentOffset() != 0 || p.moreFragments() || p.transportOffset() < 0) {
            return true;
        }
        int proto = p.proto();
        if (proto == Packet.PROTO_TCP || proto == Packet.PROTO_UDP
                || (proto == Packet.PROTO_ICMP && p.af() == 4) || (proto == Packet.PROTO_ICMPV6 && p.af() == 6)) {
            int field = p.transportOffset() + checksumField(proto);
            if (proto == Packet.PROTO_UDP && p.af() == 4 && Packet.u16(packet, field) == 0) {
                return true;
            }
            put16(packet, field, transport(p));
        }
        return true;
    }
}
