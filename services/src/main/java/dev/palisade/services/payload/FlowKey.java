package dev.palisade.services.payload;

import dev.palisade.core.divert.PacketView;

/**
 * One direction of a connection as a hash key of primitives (no
 * {@link java.net.InetAddress}, no strings): the key of the payload
 * diverters' per-flow tables.
 */
public record FlowKey(boolean v6, long srcHi, long srcLo, long dstHi, long dstLo, int srcPort, int dstPort, int protocol) {

    public static FlowKey of(PacketView p) {
        return new FlowKey(p.ipVersion() == 6, p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(), p.srcPort(), p.dstPort(), p.protocol());
    }

    /** The key of the other direction. */
    public FlowKey reversed() {
        return new FlowKey(v6, dstHi, dstLo, srcHi, srcLo, dstPort, srcPort, protocol);
    }
}
