package dev.palisade.core.divert;

import dev.palisade.core.net.IpAddress;

/**
 * One direction of a connection: protocol, source and destination with
 * ports. {@link #toString()} is the form used in log lines:
 * {@code tcp 192.0.2.1:40000 > 198.51.100.7:443}, IPv6 addresses in brackets.
 */
public record Flow(int protocol, IpAddress src, int srcPort, IpAddress dst, int dstPort) {

    public Flow {
        if (src == null || dst == null) throw new IllegalArgumentException("flow addresses must not be null");
        if (src.v6() != dst.v6()) throw new IllegalArgumentException("flow mixes address families: " + src + " > " + dst);
        if (protocol < 0 || protocol > 255) throw new IllegalArgumentException("protocol " + protocol + " out of range 0..255");
        if (srcPort < 0 || srcPort > 65535 || dstPort < 0 || dstPort > 65535) {
            throw new IllegalArgumentException("port out of range 0..65535: " + srcPort + " > " + dstPort);
        }
    }

    /** The other direction of the same connection. */
    public Flow reversed() {
        return new Flow(protocol, dst, dstPort, src, srcPort);
    }

    /** "tcp", "udp", "icmp", "ipv6-icmp" or the number. */
    public static String protocolName(int protocol) {
        return switch (protocol) {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            case 58 -> "ipv6-icmp";
            default -> Integer.toString(protocol);
        };
    }

    @Override
    public String toString() {
        return protocolName(protocol) + " " + endpoint(src, srcPort) + " > " + endpoint(dst, dstPort);
    }

    private static String endpoint(IpAddress a, int port) {
        return a.v6() ? "[" + a + "]:" + port : a + ":" + port;
    }
}
