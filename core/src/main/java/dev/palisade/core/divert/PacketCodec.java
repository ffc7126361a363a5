package dev.palisade.core.divert;

/**
 * The few packet-format operations the divert API needs: header walking,
 * checksums, length fixing and TCP RST building for IPv4 and IPv6.
 *
 * <p>XXX replace with core.packet: the packets module (decoder, checksum
 * helpers, builders) was written in parallel; this class is the one place
 * that should delegate to it once it is merged. Everything here is
 * allocation-free except {@link #buildRst}.
 */
final class PacketCodec {

    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;

    private PacketCodec() {}

    static int u8(byte[] b, int off) {
        return b[off] & 0xff;
    }

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    static int i32(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    static long i64(byte[] b, int off) {
        return ((long) i32(b, off) << 32) | (i32(b, off + 4) & 0xffffffffL);
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    /**
     * Decodes the IP and L4 headers into {@code v}; returns false when the
     * bytes are not a whole IPv4/IPv6 packet (truncated, bad version, bad
     * header lengths). Unknown L4 protocols and non-first fragments decode
     * with ports 0 and the L4 bytes as payload.
     */
    static boolean decode(byte[] b, PacketView v) {
        int n = b.length;
        if (n < 20) return false;
        int version = u8(b, 0) >>> 4;
        int proto;
        int l4;
        int end;
        boolean fragment = false;
        if (version == 4) {
            int ihl = (u8(b, 0) & 0x0f) * 4;
            int total = u16(b, 2);
            if (ihl < 20 || total < ihl || total > n) return false;
            proto = u8(b, 9);
            l4 = ihl;
            end = total;
            int frag = u16(b, 6);
            fragment = (frag & 0x1fff) != 0;
            v.srcHi = 0;
            v.srcLo = i32(b, 12) & 0xffffffffL;
            v.dstHi = 0;
            v.dstLo = i32(b, 16) & 0xffffffffL;
        } else if (version == 6) {
            if (n < 40) return false;
            int plen = u16(b, 4);
            end = 40 + plen;
            if (end > n) return false;
            v.srcHi = i64(b, 8);
            v.srcLo = i64(b, 16);
            v.dstHi = i64(b, 24);
            v.dstLo = i64(b, 32);
            proto = u8(b, 6);
            l4 = 40;
            // Walk the extension headers to the upper-layer header.
            for (int hops = 0; hops < 16; hops++) {
                if (proto == 0 || proto == 43 || proto == 60) {
                    if (l4 + 8 > end) return false;
                    int next = u8(b, l4);
                    l4 += (u8(b, l4 + 1) + 1) * 8;
                    proto = next;
                } else if (proto == 44) {
                    if (l4 + 8 > end) return false;
                    int next = u8(b, l4);
                    if ((u16(b, l4 + 2) & 0xfff8) != 0) fragment = true;
                    l4 += 8;
                    proto = next;
                } else if (proto == 51) {
                    if (l4 + 8 > end) return false;
                    int next = u8(b, l4);
                    l4 += (u8(b, l4 + 1) + 2) * 4;
                    proto = next;
                } else {
                    break;
                }
            }
            if (l4 > end) return false;
        } else {
            return false;
        }
        v.ipVersion = version;
        v.protocol = proto;
        v.l4Offset = l4;
        v.ipEnd = end;
        v.fragment = fragment;
        v.srcPort = 0;
        v.dstPort = 0;
        v.tcpSeq = 0;
        v.tcpAck = 0;
        v.tcpFlags = 0;
        if (!fragment && proto == PROTO_TCP && l4 + 20 <= end) {
            int doff = (u8(b, l4 + 12) >>> 4) * 4;
            if (doff < 20 || l4 + doff > end) return false;
            v.srcPort = u16(b, l4);
            v.dstPort = u16(b, l4 + 2);
            v.tcpSeq = i32(b, l4 + 4);
            v.tcpAck = i32(b, l4 + 8);
            v.tcpFlags = u8(b, l4 + 13);
            v.payloadOffset = l4 + doff;
        } else if (!fragment && proto == PROTO_UDP && l4 + 8 <= end) {
            v.srcPort = u16(b, l4);
            v.dstPort = u16(b, l4 + 2);
            v.payloadOffset = l4 + 8;
        } else if (!fragment && (proto == PROTO_TCP || proto == PROTO_UDP)) {
            return false;
        } else {
            v.payloadOffset = l4;
        }
        v.payloadLength = end - v.payloadOffset;
        return true;
    }

    /** The one's complement sum of {@code len} bytes, folded to 32 bits (not yet to 16). */
    static long sum(byte[] b, int off, int len, long acc) {
        int i = off;
        int end = off + len;
        for (; i + 1 < end; i += 2) {
            acc += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        if (i < end) acc += (b[i] & 0xff) << 8;
        return acc;
    }

    static int fold(long acc) {
        while ((acc >>> 16) != 0) acc = (acc & 0xffff) + (acc >>> 16);
        return (int) (~acc & 0xffff);
    }

    /**
     * Recomputes the IPv4 header checksum and the TCP or UDP checksum of a
     * decoded packet in place. Non-first fragments and other protocols keep
     * their L4 bytes untouched.
     */
    static void fixChecksums(byte[] b, PacketView v) {
        if (v.ipVersion == 4) {
            int ihl = (u8(b, 0) & 0x0f) * 4;
            put16(b, 10, 0);
            put16(b, 10, fold(sum(b, 0, ihl, 0)));
        }
        if (v.fragment) return;
        int l4 = v.l4Offset;
        int l4len = v.ipEnd - l4;
        int csumOff;
        if (v.protocol == PROTO_TCP) {
            csumOff = l4 + 16;
        } else if (v.protocol == PROTO_UDP) {
            csumOff = l4 + 6;
        } else {
            return;
        }
        put16(b, csumOff, 0);
        long acc;
        if (v.ipVersion == 4) {
            acc = sum(b, 12, 8, 0);
        } else {
            acc = sum(b, 8, 32, 0);
        }
        acc += v.protocol;
        acc += l4len;
        acc = sum(b, l4, l4len, acc);
        int c = fold(acc);
        if (v.protocol == PROTO_UDP && c == 0) c = 0xffff;
        put16(b, csumOff, c);
    }

    /** True when the IP (v4) and TCP/UDP checksums of a decoded packet verify. */
    static boolean checksumsValid(byte[] b, PacketView v) {
        if (v.ipVersion == 4) {
            int ihl = (u8(b, 0) & 0x0f) * 4;
            if (fold(sum(b, 0, ihl, 0)) != 0) return false;
        }
        if (v.fragment || (v.protocol != PROTO_TCP && v.protocol != PROTO_UDP)) return true;
        if (v.protocol == PROTO_UDP && v.ipVersion == 4 && u16(b, v.l4Offset + 6) == 0) return true;
        int l4len = v.ipEnd - v.l4Offset;
        long acc = v.ipVersion == 4 ? sum(b, 12, 8, 0) : sum(b, 8, 32, 0);
        acc += v.protocol;
        acc += l4len;
        acc = sum(b, v.l4Offset, l4len, acc);
        return fold(acc) == 0;
    }

    /**
     * A copy of the packet whose L4 payload is {@code newPayloadLength} bytes
     * (truncated, or zero-filled when longer), with the IP total/payload
     * length and the UDP length fixed. Checksums are left to the caller.
     */
    static byte[] resizePayload(byte[] b, PacketView v, int newPayloadLength) {
        int newEnd = v.payloadOffset + newPayloadLength;
        byte[] out = new byte[newEnd];
        System.arraycopy(b, 0, out, 0, Math.min(newEnd, v.ipEnd));
        if (v.ipVersion == 4) {
            put16(out, 2, newEnd);
        } else {
            put16(out, 4, newEnd - 40);
        }
        if (v.protocol == PROTO_UDP && !v.fragment) {
            put16(out, v.l4Offset + 4, newEnd - v.l4Offset);
        }
        return out;
    }

    /**
     * A TCP RST (with ACK) from {@code src} to {@code dst}: a bare IP header
     * (IPv4 with TTL 64 and DF, or IPv6 with hop limit 64), checksums set.
     */
    static byte[] buildRst(int version, long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort,
                           int seq, int ack) {
        int ipLen = version == 4 ? 20 : 40;
        byte[] b = new byte[ipLen + 20];
        if (version == 4) {
            b[0] = 0x45;
            put16(b, 2, b.length);
            put16(b, 6, 0x4000);
            b[8] = 64;
            b[9] = PROTO_TCP;
            put32(b, 12, (int) srcLo);
            put32(b, 16, (int) dstLo);
        } else {
            b[0] = 0x60;
            put16(b, 4, 20);
            b[6] = PROTO_TCP;
            b[7] = 64;
            putLong(b, 8, srcHi);
            putLong(b, 16, srcLo);
            putLong(b, 24, dstHi);
            putLong(b, 32, dstLo);
        }
        int t = ipLen;
        put16(b, t, srcPort);
        put16(b, t + 2, dstPort);
        put32(b, t + 4, seq);
        put32(b, t + 8, ack);
        b[t + 12] = 0x50;
        b[t + 13] = 0x14; // RST|ACK
        PacketView v = new PacketView();
        decode(b, v);
        fixChecksums(b, v);
        return b;
    }

    private static void putLong(byte[] b, int off, long v) {
        put32(b, off, (int) (v >>> 32));
        put32(b, off + 4, (int) v);
    }
}
