package dev.palisade.services.payload;

import dev.palisade.core.divert.PacketView;
import dev.palisade.core.net.IpAddress;
import java.nio.charset.StandardCharsets;

/** Builds real IPv4/IPv6 TCP/UDP packets (checksums set) for tests. */
public final class Pkts {

    private Pkts() {}

    public static byte[] tcp(String src, int sport, String dst, int dport, int seq, int ack, int flags, byte[] payload) {
        return build(src, sport, dst, dport, 6, seq, ack, flags, payload);
    }

    public static byte[] tcp(String src, int sport, String dst, int dport, int seq, String payload) {
        return tcp(src, sport, dst, dport, seq, 1000, 0x18, payload.getBytes(StandardCharsets.ISO_8859_1));
    }

    public static byte[] udp(String src, int sport, String dst, int dport, byte[] payload) {
        return build(src, sport, dst, dport, 17, 0, 0, 0, payload);
    }

    public static byte[] udp(String src, int sport, String dst, int dport, String payload) {
        return udp(src, sport, dst, dport, payload.getBytes(StandardCharsets.ISO_8859_1));
    }

    static byte[] build(String src, int sport, String dst, int dport, int proto, int seq, int ack, int flags, byte[] payload) {
        IpAddress s = IpAddress.parse(src);
        IpAddress d = IpAddress.parse(dst);
        int ip = s.v6() ? 40 : 20;
        int l4 = proto == 6 ? 20 : 8;
        byte[] b = new byte[ip + l4 + payload.length];
        if (!s.v6()) {
            b[0] = 0x45;
            put16(b, 2, b.length);
            put16(b, 4, 0x1234);
            put16(b, 6, 0x4000);
            b[8] = 64;
            b[9] = (byte) proto;
            System.arraycopy(s.toBytes(), 0, b, 12, 4);
            System.arraycopy(d.toBytes(), 0, b, 16, 4);
        } else {
            b[0] = 0x60;
            put16(b, 4, l4 + payload.length);
            b[6] = (byte) proto;
            b[7] = 64;
            System.arraycopy(s.toBytes(), 0, b, 8, 16);
            System.arraycopy(d.toBytes(), 0, b, 24, 16);
        }
        put16(b, ip, sport);
        put16(b, ip + 2, dport);
        if (proto == 6) {
            put32(b, ip + 4, seq);
            put32(b, ip + 8, ack);
            b[ip + 12] = 0x50;
            b[ip + 13] = (byte) flags;
            put16(b, ip + 14, 65535);
        } else {
            put16(b, ip + 4, l4 + payload.length);
        }
        System.arraycopy(payload, 0, b, ip + l4, payload.length);
        PacketView.fixChecksums(b);
        return b;
    }

    /** The L4 payload of a packet as Latin-1 text. */
    public static String payload(byte[] packet) {
        PacketView v = PacketView.decode(packet);
        return new String(packet, v.payloadOffset(), v.payloadLength(), StandardCharsets.ISO_8859_1);
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, int v) {
        put16(b, off, v >>> 16);
        put16(b, off + 2, v);
    }
}
