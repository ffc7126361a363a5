package dev.palisade.core.packet;

/**
 * Builds the packets a firewall sends on its own: the TCP RST of
 * {@code block return-rst} and the ICMP / ICMPv6 destination unreachable of
 * {@code block return-icmp}, with correct checksums.
 *
 * <p>Why these numbers: the RST follows OpenBSD pf's {@code pf_send_tcp()}
 * call in {@code pf_return()}: addresses and ports swapped, sequence number
 * the offending segment's acknowledgement number, acknowledgement number its
 * sequence number plus its data length plus one for SYN and one for FIN,
 * flags RST|ACK, window 0. (RFC 793's reset generation gives the same answer
 * on a SYN, the case that matters.) The ICMP error quotes the offending IP
 * header and the first 8 bytes of its payload (RFC 792, and what OpenBSD's
 * {@code icmp_error()} returns); the ICMPv6 error quotes as much as fits in
 * the IPv6 minimum MTU of 1280 (RFC 4443 2.4(c)).
 *
 * <p>Whether to answer at all (never to a RST, never an ICMP error about an
 * ICMP error, never to broadcast) is the evaluator's call; {@link
 * #canReturnIcmp(Packet)} and {@link #canReturnRst(Packet)} say what RFC 1122
 * and pf allow.
 */
public final class PacketBuilder {
    private PacketBuilder() {}

    /** ICMP destination unreachable type. */
    public static final int ICMP_UNREACH = 3;
    /** ICMP port unreachable code, pf's default for {@code return-icmp}. */
    public static final int ICMP_UNREACH_PORT = 3;
    /** ICMPv6 destination unreachable type. */
    public static final int ICMP6_DST_UNREACH = 1;
    /** ICMPv6 port unreachable code, pf's default for {@code return-icmp6}. */
    public static final int ICMP6_DST_UNREACH_NOPORT = 4;
    /** Default TTL / hop limit of generated packets. */
    public static final int DEFAULT_TTL = 64;

    /**
     * An IPv4 UDP datagram with an empty payload from {@code src:sport} to
     * {@code dst:dport} (addresses as ints, TTL 64), checksums set: what the
     * tests and the benchmarks feed the evaluator.
     */
    public static byte[] udp4(int src, int dst, int sport, int dport) {
        byte[] b = ipv4(17, src, dst, sport, dport, 8);
        b[25] = 8;
        Checksums.fixChecksums(b);
        return b;
    }

    /**
     * An IPv4 TCP segment without options, window 65535, carrying {@code payload}
     * zero bytes, from {@code src:sport} to {@code dst:dport}, with the given
     * sequence and acknowledgment numbers and flags (TH_*), checksums set.
     */
    public static byte[] tcp4(int src, int dst, int sport, int dport, long seq, long ack, int flags, int payload) {
        byte[] b = ipv4(6, src, dst, sport, dport, 20 + payload);
        for (int j = 0; j < 4; j++) {
            b[24 + j] = (byte) (seq >>> (24 - 8 * j));
            b[28 + j] = (byte) (ack >>> (24 - 8 * j));
        }
        b[32] = 5 << 4;
        b[33] = (byte) flags;
        b[34] = (byte) 0xff;
        b[35] = (byte) 0xff;
        Checksums.fixChecksums(b);
        return b;
    }

    /** A 20-byte IPv4 header (TTL 64) and the ports of a {@code l4len}-byte transport part. */
    private static byte[] ipv4(int proto, int src, int dst, int sport, int dport, int l4len) {
        byte[] b = new byte[20 + l4len];
        b[0] = 0x45;
        b[2] = (byte) (b.length >> 8);
        b[3] = (byte) b.length;
        b[8] = DEFAULT_TTL;
        b[9] = (byte) proto;
        for (int j = 0; j < 4; j++) {
            b[12 + j] = (byte) (src >>> (24 - 8 * j));
            b[16 + j] = (byte) (dst >>> (24 - 8 * j));
        }
        b[20] = (byte) (sport >> 8);
        b[21] = (byte) sport;
        b[22] = (byte) (dport >> 8);
        b[23] = (byte) dport;
        return b;
    }

    /** True when pf would answer {@code p} with a RST: TCP, transport decoded, not itself a RST. */
    public static boolean canReturnRst(Packet p) {
        return p.ok() && p.proto() == Packet.PROTO_TCP && p.hasTransport() && p.tcpHeaderLength() >= 20
                && !p.tcpFlag(Packet.TH_RST) && !p.isFragment();
    }

    /** True when an ICMP error may be sent about {@code p}: not an ICMP error itself, not a non-first fragment. */
    public static boolean canReturnIcmp(Packet p) {
        return (p.ok() || p.malformed() == Malformed.BAD_EMBEDDED) && p.af() != 0 && !p.isIcmpError()
                && p.fragmentOffset() == 0;
    }

    /**
     * The RST answering TCP segment {@code p} (as pf's {@code return-rst}):
     * a new IPv4 or IPv6 packet from {@code p}'s destination to its source.
     *
     * @throws IllegalArgumentException when {@link #canReturnRst(Packet)} is false
     */
    public static byte[] tcpReset(Packet p, int ttl) {
        if (!canReturnRst(p)) {
            throw new IllegalArgumentException("no RST for this packet (not a complete TCP segment, or a RST): " + p);
        }
        long ack = p.seq() + p.payloadLength();
        if (p.tcpFlag(Packet.TH_SYN)) ack++;
        if (p.tcpFlag(Packet.TH_FIN)) ack++;
        int ipHl = p.v6() ? 40 : 20;
        byte[] out = new byte[ipHl + 20];
        writeIpHeader(out, p, Packet.PROTO_TCP, 20, ttl);
        int t = ipHl;
        put16(out, t, p.dstPort());
        put16(out, t + 2, p.srcPort());
        put32(out, t + 4, p.ack());
        put32(out, t + 8, ack & 0xffffffffL);
        out[t + 12] = (byte) (5 << 4);
        out[t + 13] = (byte) (Packet.TH_RST | Packet.TH_ACK);
        Checksums.fixChecksums(out);
        return out;
    }

    /**
     * The RST pf sends when a packet does not fit a state still in its
     * handshake (pf_tcp_track_full): to {@code p}'s sender, sequence number
     * {@code p}'s acknowledgement number, flag RST alone, ack 0.
     *
     * @throws IllegalArgumentException when {@link #canReturnRst(Packet)} is false
     */
    public static byte[] tcpResetHandshakeMismatch(Packet p, int ttl) {
        if (!canReturnRst(p)) {
            throw new IllegalArgumentException("no RST for this packet (not a complete TCP segment, or a RST): " + p);
        }
        int ipHl = p.v6() ? 40 : 20;
        byte[] out = new byte[ipHl + 20];
        writeIpHeader(out, p, Packet.PROTO_TCP, 20, ttl);
        put16(out, ipHl, p.dstPort());
        put16(out, ipHl + 2, p.srcPort());
        put32(out, ipHl + 4, p.ack());
        out[ipHl + 12] = (byte) (5 << 4);
        out[ipHl + 13] = (byte) Packet.TH_RST;
        Checksums.fixChecksums(out);
        return out;
    }

    /**
     * The ICMP (IPv4) or ICMPv6 (IPv6) error about {@code p}, from {@code
     * p}'s destination to its source, quoting {@code p}.
     *
     * @param type ICMP type, e.g. {@link #ICMP_UNREACH} / {@link #ICMP6_DST_UNREACH}
     * @param code ICMP code, e.g. {@link #ICMP_UNREACH_PORT} / {@link #ICMP6_DST_UNREACH_NOPORT}
     * @throws IllegalArgumentException when {@link #canReturnIcmp(Packet)} is false or type/code are out of range
     */
    public static byte[] icmpUnreachable(Packet p, int type, int code, int ttl) {
        if (!canReturnIcmp(p)) {
            throw new IllegalArgumentException("no ICMP error about this packet (undecodable, an ICMP error, or a non-first fragment): " + p);
        }
        if (type < 0 || type > 255 || code < 0 || code > 255) {
            throw new IllegalArgumentException("ICMP type/code must be 0..255, got " + type + "/" + code);
        }
        int quote;
        int ipHl;
        if (p.v6()) {
            ipHl = 40;
            quote = Math.min(p.ipLength(), 1280 - 40 - 8);
        } else {
            ipHl = 20;
            quote = Math.min(p.ipLength(), p.ipHeaderLength() + 8);
        }
        byte[] out = new byte[ipHl + 8 + quote];
        int proto = p.v6() ? Packet.PROTO_ICMPV6 : Packet.PROTO_ICMP;
        writeIpHeader(out, p, proto, 8 + quote, ttl);
        out[ipHl] = (byte) type;
        out[ipHl + 1] = (byte) code;
        System.arraycopy(p.buffer(), p.offset(), out, ipHl + 8, quote);
        Checksums.fixChecksums(out);
        return out;
    }

    private static void writeIpHeader(byte[] out, Packet p, int proto, int l4Len, int ttl) {
        byte[] b = p.buffer();
        int o = p.offset();
        if (p.v6()) {
            out[0] = 0x60;
            put16(out, 4, l4Len);
            out[6] = (byte) proto;
            out[7] = (byte) ttl;
            System.arraycopy(b, o + 24, out, 8, 16); // from the original destination
            System.arraycopy(b, o + 8, out, 24, 16); // to the original source
        } else {
            out[0] = 0x45;
            put16(out, 2, 20 + l4Len);
            out[6] = 0x40; // DF, as OpenBSD sets on generated RSTs and errors are small
            out[8] = (byte) ttl;
            out[9] = (byte) proto;
            System.arraycopy(b, o + 16, out, 12, 4);
            System.arraycopy(b, o + 12, out, 16, 4);
        }
    }

    static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void put32(byte[] b, int i, long v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }
}
