package dev.palisade.core.packet;

import java.io.ByteArrayOutputStream;

/** Hand-built packets for tests, written field by field (independent of the decoder). */
public final class TestPackets {
    private TestPackets() {}

    public static byte[] hex(String s) {
        s = s.replaceAll("\\s+", "");
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    public static byte[] v4(int proto, byte[] src, byte[] dst, byte[] options, byte[] l4, int fragField) {
        int hl = 20 + options.length;
        byte[] p = new byte[hl + l4.length];
        p[0] = (byte) (0x40 | (hl / 4));
        p[1] = 0x10;
        p[2] = (byte) (p.length >> 8);
        p[3] = (byte) p.length;
        p[4] = 0x12;
        p[5] = 0x34;
        p[6] = (byte) (fragField >> 8);
        p[7] = (byte) fragField;
        p[8] = 64;
        p[9] = (byte) proto;
        System.arraycopy(src, 0, p, 12, 4);
        System.arraycopy(dst, 0, p, 16, 4);
        System.arraycopy(options, 0, p, 20, options.length);
        System.arraycopy(l4, 0, p, hl, l4.length);
        Checksums.fixChecksums(p);
        return p;
    }

    public static byte[] v4(int proto, String src, String dst, byte[] l4) {
        return v4(proto, addr(src), addr(dst), new byte[0], l4, 0);
    }

    /** IPv6 with extension headers given as (nextHeaderValue, bytes) already chained by the caller. */
    public static byte[] v6(int firstNext, String src, String dst, byte[] rest) {
        byte[] p = new byte[40 + rest.length];
        p[0] = 0x60;
        p[4] = (byte) (rest.length >> 8);
        p[5] = (byte) rest.length;
        p[6] = (byte) firstNext;
        p[7] = 64;
        System.arraycopy(addr(src), 0, p, 8, 16);
        System.arraycopy(addr(dst), 0, p, 24, 16);
        System.arraycopy(rest, 0, p, 40, rest.length);
        Checksums.fixChecksums(p);
        return p;
    }

    public static byte[] addr(String s) {
        return dev.palisade.core.net.IpAddress.parse(s).toBytes();
    }

    public static byte[] tcp(int sport, int dport, long seq, long ack, int flags, int window, byte[] options, byte[] payload) {
        int hl = 20 + options.length;
        byte[] t = new byte[hl + payload.length];
        t[0] = (byte) (sport >> 8);
        t[1] = (byte) sport;
        t[2] = (byte) (dport >> 8);
        t[3] = (byte) dport;
        for (int i = 0; i < 4; i++) {
            t[4 + i] = (byte) (seq >> (24 - 8 * i));
            t[8 + i] = (byte) (ack >> (24 - 8 * i));
        }
        t[12] = (byte) ((hl / 4) << 4);
        t[13] = (byte) flags;
        t[14] = (byte) (window >> 8);
        t[15] = (byte) window;
        System.arraycopy(options, 0, t, 20, options.length);
        System.arraycopy(payload, 0, t, hl, payload.length);
        return t;
    }

    public static byte[] udp(int sport, int dport, byte[] payload) {
        byte[] u = new byte[8 + payload.length];
        u[0] = (byte) (sport >> 8);
        u[1] = (byte) sport;
        u[2] = (byte) (dport >> 8);
        u[3] = (byte) dport;
        u[4] = (byte) (u.length >> 8);
        u[5] = (byte) u.length;
        System.arraycopy(payload, 0, u, 8, payload.length);
        return u;
    }

    public static byte[] icmp(int type, int code, int id, int seq, byte[] body) {
        byte[] c = new byte[8 + body.length];
        c[0] = (byte) type;
        c[1] = (byte) code;
        c[4] = (byte) (id >> 8);
        c[5] = (byte) id;
        c[6] = (byte) (seq >> 8);
        c[7] = (byte) seq;
        System.arraycopy(body, 0, c, 8, body.length);
        return c;
    }

    public static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    public static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }
}
