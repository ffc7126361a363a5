package dev.palisade.bench;

import dev.palisade.core.packet.Checksums;

/** Packets built byte by byte for the benchmarks. */
final class BenchPackets {
    private BenchPackets() {}

    static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void put32(byte[] b, int i, long v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }

    /** IPv4 TCP with MSS/SACK/timestamp-sized options (12 bytes) and {@code payload} data bytes. */
    static byte[] tcp4(int src, int dst, int sport, int dport, long seq, long ack, int flags, int payload) {
        byte[] b = new byte[20 + 32 + payload];
        b[0] = 0x45;
        put16(b, 2, b.length);
        b[8] = 64;
        b[9] = 6;
        put32(b, 12, src & 0xffffffffL);
        put32(b, 16, dst & 0xffffffffL);
        put16(b, 20, sport);
        put16(b, 22, dport);
        put32(b, 24, seq);
        put32(b, 28, ack);
        b[32] = (byte) (8 << 4);
        b[33] = (byte) flags;
        put16(b, 34, 65535);
        b[40] = 1;
        b[41] = 1;
        b[42] = 8;
        b[43] = 10;
        Checksums.fixChecksums(b);
        return b;
    }

    /** IPv6 UDP behind a hop-by-hop header and an atomic fragment header. */
    static byte[] udp6ext() {
        byte[] b = new byte[40 + 8 + 8 + 8 + 100];
        b[0] = 0x60;
        put16(b, 4, b.length - 40);
        b[6] = 0; // hop-by-hop
        b[7] = 64;
        b[8] = 0x20;
        b[9] = 0x01;
        b[23] = 1;
        b[24] = 0x20;
        b[25] = 0x01;
        b[39] = 2;
        b[40] = 44;
        b[42] = 1;
        b[43] = 4;
        b[48] = 17;
        put16(b, 56, 5353);
        put16(b, 58, 53);
        put16(b, 60, 108);
        Checksums.fixChecksums(b);
        return b;
    }

    /** ICMP port unreachable quoting the first 28 bytes of {@code orig}. */
    static byte[] icmpUnreach(byte[] orig) {
        byte[] b = new byte[20 + 8 + 28];
        b[0] = 0x45;
        put16(b, 2, b.length);
        b[8] = 64;
        b[9] = 1;
        System.arraycopy(orig, 16, b, 12, 4);
        System.arraycopy(orig, 12, b, 16, 4);
        b[20] = 3;
        b[21] = 3;
        System.arraycopy(orig, 0, b, 28, 28);
        Checksums.fixChecksums(b);
        return b;
    }
}
