package dev.palisade.core.divert;

import dev.palisade.core.net.IpAddress;

/**
 * A decoded view of one diverted IP packet, as a diverter sees it: the flow
 * (addresses, ports, protocol), the TCP sequence state and where the L4
 * payload lies in {@link #data()}.
 *
 * <p>Why a mutable view over the packet's own bytes rather than a parsed
 * copy: payload diverters run at hundreds of thousands of packets per
 * second; the view holds addresses as primitives and offsets, and a diverter
 * that rewrites the payload changes {@code data()} in place and answers
 * {@link #rewritten()}. Palisade then fixes the IP, TCP and UDP checksums.
 * Allocation happens only when asked for ({@link #src()}, {@link #flow()}).
 *
 * <p>A view is decoded from whole IPv4 or IPv6 packets; IPv6 extension
 * headers (hop-by-hop, routing, destination options, fragment, AH) are
 * skipped. Non-first fragments and protocols other than TCP and UDP decode
 * with ports 0 and the L4 bytes as their payload.
 */
public final class PacketView {

    /** TCP flag bits as in the TCP header's flags byte. */
    public static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

    byte[] data;
    int ipVersion;
    int protocol;
    int l4Offset;
    int ipEnd;
    int payloadOffset;
    int payloadLength;
    boolean fragment;
    long srcHi, srcLo, dstHi, dstLo;
    int srcPort, dstPort;
    int tcpSeq, tcpAck, tcpFlags;

    PacketView() {}

    /**
     * Decodes a whole IP packet (starting at the IP header).
     *
     * @return the view, or null when the bytes are not a decodable IPv4/IPv6
     *         packet (truncated, unknown version, inconsistent lengths)
     */
    public static PacketView decode(byte[] packet) {
        PacketView v = new PacketView();
        return v.reset(packet) ? v : null;
    }

    /** Decodes {@code packet} into this view, reusing it; false when not decodable. */
    public boolean reset(byte[] packet) {
        data = packet;
        return PacketCodec.decode(packet, this);
    }

    /** The whole packet; a diverter may change payload bytes in place and answer {@link #rewritten()}. */
    public byte[] data() {
        return data;
    }

    /** 4 or 6. */
    public int ipVersion() {
        return ipVersion;
    }

    /** The upper-layer protocol number (6 TCP, 17 UDP, ...). */
    public int protocol() {
        return protocol;
    }

    public boolean isTcp() {
        return protocol == PacketCodec.PROTO_TCP && !fragment;
    }

    public boolean isUdp() {
        return protocol == PacketCodec.PROTO_UDP && !fragment;
    }

    /** True for a non-first IP fragment (its L4 header is in an earlier fragment). */
    public boolean isFragment() {
        return fragment;
    }

    /** Offset of the TCP/UDP header in {@link #data()}. */
    public int l4Offset() {
        return l4Offset;
    }

    /** Offset of the first L4 payload byte in {@link #data()}. */
    public int payloadOffset() {
        return payloadOffset;
    }

    /** Number of L4 payload bytes (up to the IP length; link padding excluded). */
    public int payloadLength() {
        return payloadLength;
    }

    /** Source address: high 64 bits (0 for IPv4). */
    public long srcHi() {
        return srcHi;
    }

    /** Source address: low 64 bits (for IPv4 the address in the low 32 bits). */
    public long srcLo() {
        return srcLo;
    }

    public long dstHi() {
        return dstHi;
    }

    public long dstLo() {
        return dstLo;
    }

    public int srcPort() {
        return srcPort;
    }

    public int dstPort() {
        return dstPort;
    }

    /** The TCP sequence number (0 unless TCP). */
    public int tcpSeq() {
        return tcpSeq;
    }

    /** The TCP acknowledgement number (0 unless TCP). */
    public int tcpAck() {
        return tcpAck;
    }

    /** The TCP flags byte ({@link #SYN}, {@link #ACK}, ...; 0 unless TCP). */
    public int tcpFlags() {
        return tcpFlags;
    }

    public IpAddress src() {
        return ipVersion == 4 ? IpAddress.ofV4((int) srcLo) : IpAddress.ofV6(srcHi, srcLo);
    }

    public IpAddress dst() {
        return ipVersion == 4 ? IpAddress.ofV4((int) dstLo) : IpAddress.ofV6(dstHi, dstLo);
    }

    /** The flow this packet belongs to, in the packet's direction. */
    public Flow flow() {
        return new Flow(protocol, src(), srcPort, dst(), dstPort);
    }

    /** The verdict "pass with my changed bytes": {@link Verdict.Rewrite} of {@link #data()}. */
    public Verdict rewritten() {
        return new Verdict.Rewrite(data);
    }

    /**
     * A copy of this packet with an L4 payload of {@code newLength} bytes
     * (the first bytes kept, truncated or zero-filled), the IP and UDP length
     * fields fixed. For a UDP message that must change size (a DNS answer
     * removed). Checksums are fixed when the result is returned as a
     * {@link Verdict.Rewrite} through {@link PayloadDiverter}, or by
     * {@link #fixChecksums(byte[])}.
     */
    public byte[] withPayloadLength(int newLength) {
        if (newLength < 0 || newLength > 65535 - payloadOffset) {
            throw new IllegalArgumentException("payload length " + newLength + " out of range 0.." + (65535 - payloadOffset));
        }
        return PacketCodec.resizePayload(data, this, newLength);
    }

    /**
     * Recomputes the IPv4 header checksum and the TCP/UDP checksum of a whole
     * IP packet in place.
     *
     * @throws IllegalArgumentException when the bytes are not a decodable IP packet
     */
    public static void fixChecksums(byte[] packet) {
        PacketView v = new PacketView();
        if (!v.reset(packet)) throw new IllegalArgumentException("not a decodable IPv4/IPv6 packet (" + packet.length + " bytes)");
        PacketCodec.fixChecksums(packet, v);
    }

    /** True when the IPv4 header checksum and the TCP/UDP checksum verify. */
    public boolean checksumsValid() {
        return PacketCodec.checksumsValid(data, this);
    }

    /**
     * Two TCP resets that end this packet's connection both ways, as pf's
     * {@code return-rst} does: [0] to this packet's sender (from its peer,
     * acknowledging this segment), [1] to this packet's receiver (from the
     * sender, at this segment's sequence number). Only for TCP packets.
     */
    public byte[][] resetsBothWays() {
        if (!isTcp()) throw new IllegalStateException("resets need a TCP packet, got protocol " + protocol);
        int segLen = payloadLength + ((tcpFlags & SYN) != 0 ? 1 : 0) + ((tcpFlags & FIN) != 0 ? 1 : 0);
        byte[] toSender = PacketCodec.buildRst(ipVersion, dstHi, dstLo, dstPort, srcHi, srcLo, srcPort,
                tcpAck, tcpSeq + segLen);
        byte[] toReceiver = PacketCodec.buildRst(ipVersion, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort,
                tcpSeq, tcpAck);
        return new byte[][] {toSender, toReceiver};
    }

    @Override
    public String toString() {
        return flow() + " len " + payloadLength;
    }
}
