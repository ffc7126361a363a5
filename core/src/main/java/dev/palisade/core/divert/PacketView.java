package dev.palisade.core.divert;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.packet.Checksums;
import dev.palisade.core.packet.Malformed;
import dev.palisade.core.packet.Packet;
import dev.palisade.core.packet.PacketBuilder;

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
 * <p>The decoding is {@code core.packet}'s {@link Packet} (IPv4 options,
 * IPv6 extension headers, TCP options), reachable through {@link #packet()}.
 * Non-first fragments and protocols other than TCP and UDP have ports 0;
 * their payload is everything after the IP header.
 */
public final class PacketView {

    /** TCP flag bits as in the TCP header's flags byte. */
    public static final int FIN = Packet.TH_FIN, SYN = Packet.TH_SYN, RST = Packet.TH_RST, PSH = Packet.TH_PUSH, ACK = Packet.TH_ACK;

    private final Packet pkt = new Packet();
    private byte[] data;

    PacketView() {}

    /**
     * Decodes a whole IP packet (starting at the IP header).
     *
     * @return the view, or null when the bytes are not a decodable IPv4/IPv6
     *         packet (see {@link Packet#malformed()})
     */
    public static PacketView decode(byte[] packet) {
        PacketView v = new PacketView();
        return v.reset(packet) ? v : null;
    }

    /** Decodes {@code packet} into this view, reusing it; false when not decodable. */
    public boolean reset(byte[] packet) {
        data = packet;
        Malformed m = pkt.decode(packet, 0, packet.length);
        return m == Malformed.NONE || m == Malformed.BAD_EMBEDDED;
    }

    /** The full decode (TCP options, ICMP fields, fragments) from {@code core.packet}. */
    public Packet packet() {
        return pkt;
    }

    /** The whole packet; a diverter may change payload bytes in place and answer {@link #rewritten()}. */
    public byte[] data() {
        return data;
    }

    /** 4 or 6. */
    public int ipVersion() {
        return pkt.af();
    }

    /** The upper-layer protocol number (6 TCP, 17 UDP, ...). */
    public int protocol() {
        return pkt.proto();
    }

    /** TCP with its header decoded (not a non-first fragment). */
    public boolean isTcp() {
        return pkt.proto() == Packet.PROTO_TCP && pkt.hasTransport();
    }

    /** UDP with its header decoded (not a non-first fragment). */
    public boolean isUdp() {
        return pkt.proto() == Packet.PROTO_UDP && pkt.hasTransport();
    }

    /** True for an IP fragment (first or not); a non-first one has no L4 header. */
    public boolean isFragment() {
        return pkt.isFragment();
    }

    /** Offset of the TCP/UDP header in {@link #data()}, or -1 when there is none (non-first fragment). */
    public int l4Offset() {
        return pkt.transportOffset();
    }

    /**
     * Offset of the first L4 payload byte in {@link #data()}; for packets
     * without a decoded transport header, the first byte after the IP header.
     */
    public int payloadOffset() {
        return pkt.payloadOffset() >= 0 ? pkt.payloadOffset() : pkt.ipHeaderLength();
    }

    /** Number of L4 payload bytes (up to the IP length; link padding excluded). */
    public int payloadLength() {
        return pkt.payloadOffset() >= 0 ? pkt.payloadLength() : pkt.ipLength() - pkt.ipHeaderLength();
    }

    /** Source address: high 64 bits (0 for IPv4). */
    public long srcHi() {
        return pkt.srcHi();
    }

    /** Source address: low 64 bits (for IPv4 the address in the low 32 bits). */
    public long srcLo() {
        return pkt.srcLo();
    }

    public long dstHi() {
        return pkt.dstHi();
    }

    public long dstLo() {
        return pkt.dstLo();
    }

    public int srcPort() {
        return pkt.hasTransport() ? pkt.srcPort() : 0;
    }

    public int dstPort() {
        return pkt.hasTransport() ? pkt.dstPort() : 0;
    }

    /** The TCP sequence number, as a 32-bit int for sequence arithmetic (0 unless TCP). */
    public int tcpSeq() {
        return isTcp() ? (int) pkt.seq() : 0;
    }

    /** The TCP acknowledgement number (0 unless TCP). */
    public int tcpAck() {
        return isTcp() ? (int) pkt.ack() : 0;
    }

    /** The TCP flags byte ({@link #SYN}, {@link #ACK}, ...; 0 unless TCP). */
    public int tcpFlags() {
        return isTcp() ? pkt.tcpFlags() : 0;
    }

    public IpAddress src() {
        return pkt.src();
    }

    public IpAddress dst() {
        return pkt.dst();
    }

    /** The flow this packet belongs to, in the packet's direction. */
    public Flow flow() {
        return new Flow(protocol(), src(), srcPort(), dst(), dstPort());
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
        int off = payloadOffset();
        if (newLength < 0 || newLength > 65535 - off) {
            throw new IllegalArgumentException("payload length " + newLength + " out of range 0.." + (65535 - off));
        }
        if (ipVersion() == 6 && off + newLength - 40 > 65535) {
            throw new IllegalArgumentException("payload length " + newLength + " too long for IPv6");
        }
        int newEnd = off + newLength;
        byte[] out = new byte[newEnd];
        System.arraycopy(data, 0, out, 0, Math.min(newEnd, pkt.ipLength()));
        if (ipVersion() == 4) {
            put16(out, 2, newEnd);
        } else {
            put16(out, 4, newEnd - 40);
        }
        if (isUdp()) put16(out, l4Offset() + 4, newEnd - l4Offset());
        return out;
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    /**
     * Recomputes the IPv4 header checksum and the TCP/UDP checksum of a whole
     * IP packet in place (an IPv4 UDP checksum of 0, "none", stays 0).
     *
     * @throws IllegalArgumentException when the bytes are not a decodable IP packet
     */
    public static void fixChecksums(byte[] packet) {
        if (!Checksums.fixChecksums(packet)) {
            throw new IllegalArgumentException("not a decodable IPv4/IPv6 packet (" + packet.length + " bytes)");
        }
    }

    /** True when the IPv4 header checksum and the TCP/UDP checksum verify. */
    public boolean checksumsValid() {
        if (ipVersion() == 4 && !Checksums.ipv4HeaderOk(data, 0)) return false;
        if (!pkt.hasTransport() || pkt.isFragment()) return true;
        int p = pkt.proto();
        if (p != Packet.PROTO_TCP && p != Packet.PROTO_UDP) return true;
        return Checksums.transportOk(pkt);
    }

    /**
     * Two TCP resets that end this packet's connection both ways, as pf's
     * {@code return-rst} does for one: [0] to this packet's sender (from its
     * peer, acknowledging this segment), [1] to this packet's receiver (from
     * the sender, at this segment's sequence number, as if this segment had
     * been a RST). Only for TCP packets that are not themselves resets.
     */
    public byte[][] resetsBothWays() {
        if (!PacketBuilder.canReturnRst(pkt)) {
            throw new IllegalStateException("resets need a TCP segment that is not a RST: " + pkt);
        }
        byte[] toSender = PacketBuilder.tcpReset(pkt, PacketBuilder.DEFAULT_TTL);
        // The builder answers the sender of a packet. For the receiver's reset,
        // hand it a bare ACK as if sent by the receiver (seq = this ack, ack =
        // this seq): its answer comes from our sender at our sequence number.
        byte[] asIfFromReceiver = toSender.clone();
        int t = ipVersion() == 4 ? 20 : 40;
        asIfFromReceiver[t + 13] = (byte) Packet.TH_ACK;
        int seq = (int) pkt.seq();
        asIfFromReceiver[t + 8] = (byte) (seq >>> 24);
        asIfFromReceiver[t + 9] = (byte) (seq >>> 16);
        asIfFromReceiver[t + 10] = (byte) (seq >>> 8);
        asIfFromReceiver[t + 11] = (byte) seq;
        Packet q = new Packet();
        q.decode(asIfFromReceiver, 0, asIfFromReceiver.length);
        byte[] toReceiver = PacketBuilder.tcpReset(q, PacketBuilder.DEFAULT_TTL);
        return new byte[][] {toSender, toReceiver};
    }

    @Override
    public String toString() {
        return flow() + " len " + payloadLength();
    }
}
