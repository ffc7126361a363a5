package dev.palisade.core.state;

import dev.palisade.core.net.IpAddress;

/**
 * A snapshot of one state, for {@code pfctl -s state} and tests (allocates;
 * not for the packet path).
 *
 * @param id          the table's id of the state (valid while it lives)
 * @param af          4 or 6
 * @param proto       IP protocol
 * @param in          created by an inbound packet
 * @param src         the initiator's address (the creating packet's source)
 * @param srcPort     its port (ICMP: the query id)
 * @param dst         the responder's address
 * @param dstPort     its port (ICMP: the query type)
 * @param srcState    the initiator peer's state (TCPS_*, or the UDP/other pseudo-state)
 * @param dstState    the responder peer's state
 * @param ruleId      the creating rule
 * @param packetsFwd  packets from the initiator
 * @param packetsRev  packets from the responder
 * @param bytesFwd    bytes from the initiator
 * @param bytesRev    bytes from the responder
 * @param ageSeconds  seconds since creation
 * @param expiresIn   seconds until it expires
 * @param timeout     the timeout now applying
 */
public record StateEntry(int id, int af, int proto, boolean in, IpAddress src, int srcPort, IpAddress dst, int dstPort,
        int srcState, int dstState, int ruleId, long packetsFwd, long packetsRev, long bytesFwd, long bytesRev,
        long ageSeconds, long expiresIn, Timeout timeout) {

    /** The state in pfctl -s state form, e.g. {@code all tcp 10.0.0.2:22 <- 10.0.0.1:40000       ESTABLISHED:ESTABLISHED}. */
    @Override
    public String toString() {
        String p = switch (proto) {
            case 6 -> "tcp";
            case 17 -> "udp";
            case 1 -> "icmp";
            case 58 -> "ipv6-icmp";
            default -> Integer.toString(proto);
        };
        String s = host(src, srcPort);
        String d = host(dst, dstPort);
        String states;
        if (proto == 6) {
            states = TcpStates.name(srcState) + ":" + TcpStates.name(dstState);
        } else if (proto == 1 || proto == 58) {
            states = srcState + ":" + dstState;
        } else {
            states = TcpStates.pseudoName(srcState) + ":" + TcpStates.pseudoName(dstState);
        }
        return String.format("all %s %s %s %s       %s", p, in ? d : s, in ? "<-" : "->", in ? s : d, states);
    }

    private String host(IpAddress a, int port) {
        if (proto != 6 && proto != 17 && proto != 1 && proto != 58) return a.toString();
        return a.v6() ? a + "[" + port + "]" : a + ":" + port;
    }
}
