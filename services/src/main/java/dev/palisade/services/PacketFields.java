package dev.palisade.services;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.packet.Packet;

/**
 * The few fields the seed diverters need from a diverted packet, read with
 * the core decoder ({@link Packet}): addresses, protocol and ports, plus the
 * log form {@code SRC:PORT -> DST:PORT}.
 *
 * <p>Why a record on top of the flyweight decoder: the diverters keep the
 * fields past the packet (the DNSBL gate logs the first packet's flow when
 * its lookup ends), and a {@link Packet} view is only valid until its next
 * decode. One {@link Packet} per thread does the decoding.
 *
 * @param src     source address
 * @param dst     destination address
 * @param proto   the transport protocol number (6 TCP, 17 UDP, ...)
 * @param srcPort the source port, or -1 when there is none (not TCP/UDP, or a later fragment)
 * @param dstPort the destination port, or -1
 */
public record PacketFields(IpAddress src, IpAddress dst, int proto, int srcPort, int dstPort) {

    private static final ThreadLocal<Packet> VIEW = ThreadLocal.withInitial(Packet::new);

    /**
     * Decodes the headers of {@code p}; null when the bytes do not hold an
     * IPv4 or IPv6 header with both addresses. A packet cut short after its
     * addresses still yields them (ports -1): a trap port bans by address.
     */
    public static PacketFields decode(byte[] p) {
        if (p == null) return null;
        Packet v = VIEW.get();
        v.decode(p);
        int af = v.af();
        if (af != 4 && af != 6) return null;
        if (p.length < (af == 4 ? 20 : 40)) return null;
        if (!v.ok() && v.malformed() == dev.palisade.core.packet.Malformed.BAD_HEADER_LENGTH) return null;
        boolean ports = v.hasTransport() && (v.proto() == Packet.PROTO_TCP || v.proto() == Packet.PROTO_UDP);
        return new PacketFields(v.src(), v.dst(), v.proto(), ports ? v.srcPort() : -1, ports ? v.dstPort() : -1);
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
