package dev.palisade.services;

import dev.palisade.core.net.IpAddress;
import java.nio.ByteBuffer;

/** Builds real TCP SYN packets (IPv4 or IPv6, with MSS option and valid checksums) for diverter tests. */
public final class Syn {

    private Syn() {}

    public static byte[] of(String src, int sport, String dst, int dport) {
        IpAddress s = IpAddress.parse(src), d = IpAddress.parse(dst);
        byte[] tcp = tcp(sport, dport);
        if (!s.v6()) {
            ByteBuffer b = ByteBuffer.allocate(20 + tcp.length);
            b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + tcp.length)).putShort((short) 0x1c46)
                    .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0)
                    .put(s.toBytes()).put(d.toBytes());
            byte[] p = b.array();
            int c = checksum(p, 0, 20, 0);
            p[10] = (byte) (c >>> 8);
            p[11] = (byte) c;
            int pseudo = sum(s.toBytes()) + sum(d.toBytes()) + 6 + tcp.length;
            setTcpChecksum(tcp, pseudo);
            System.arraycopy(tcp, 0, p, 20, tcp.length);
            return p;
        }
        ByteBuffer b = ByteBuffer.allocate(40 + tcp.length);
        b.putInt(0x60000000).putShort((short) tcp.length).put((byte) 6).put((byte) 64).put(s.toBytes()).put(d.toBytes());
        byte[] p = b.array();
        int pseudo = sum(s.toBytes()) + sum(d.toBytes()) + 6 + tcp.length;
        setTcpChecksum(tcp, pseudo);
        System.arraycopy(tcp, 0, p, 40, tcp.length);
        return p;
    }

    private static byte[] tcp(int sport, int dport) {
        ByteBuffer t = ByteBuffer.allocate(24);
        t.putShort((short) sport).putShort((short) dport).putInt(0x12345678).putInt(0)
                .put((byte) 0x60).put((byte) 0x02).putShort((short) 64240).putShort((short) 0).putShort((short) 0)
                .put((byte) 2).put((byte) 4).putShort((short) 1460);
        return t.array();
    }

    private static void setTcpChecksum(byte[] tcp, int pseudo) {
        int c = checksum(tcp, 0, tcp.length, pseudo);
        tcp[16] = (byte) (c >>> 8);
        tcp[17] = (byte) c;
    }

    private static int sum(byte[] b) {
        int s = 0;
        for (int i = 0; i < b.length; i += 2) s += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        return s;
    }

    private static int checksum(byte[] b, int off, int len, int initial) {
        long s = initial;
        for (int i = 0; i + 1 < len; i += 2) s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        if ((len & 1) != 0) s += (b[off + len - 1] & 0xff) << 8;
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) (~s & 0xffff);
    }
}
