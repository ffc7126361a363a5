package dev.palisade.kernel.nfqueue;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChecksumsTest {

    // An IPv4 UDP packet captured with tcpdump (10.77.0.1:40000 -> 10.77.0.2:9999, payload "hello"), checksums correct.
    static final String V4_UDP = "4500002112344000401113e30a4d00010a4d0002" + "9c40270f000d" + "f2d9" + "68656c6c6f";

    @Test
    void recomputesWhatWasZeroedOrWrong() {
        byte[] good = HexFormat.of().parseHex(V4_UDP);
        byte[] p = good.clone();
        Checksums.fix(p);
        byte[] broken = good.clone();
        broken[10] = 0;
        broken[11] = 0;
        broken[26] = 0x12;
        broken[27] = 0x34;
        Checksums.fix(broken);
        assertEquals(HexFormat.of().formatHex(p), HexFormat.of().formatHex(broken));
        assertEquals(0, Checksums.fold(Checksums.sum(p, 0, 20, 0)), "IPv4 header sums to all ones");
        long pseudo = 0x0a4d + 0x0001 + 0x0a4d + 0x0002 + 17 + 13;
        assertEquals(0, Checksums.fold(Checksums.sum(p, 20, 13, pseudo)), "UDP sums to all ones");
    }

    @Test
    void ipv6TcpChecksumVerifies() {
        byte[] p = new byte[40 + 20 + 3];
        p[0] = 0x60;
        p[5] = 23;
        p[6] = 6;
        p[7] = 64;
        p[8] = (byte) 0xfd;
        p[23] = 1;
        p[24] = (byte) 0xfd;
        p[39] = 2;
        p[40] = 0x12;
        p[43] = 80;
        p[52] = 0x50;
        p[60] = 'a';
        Checksums.fix(p);
        long pseudo = Checksums.sum(p, 8, 32, 0) + 6 + 23;
        assertEquals(0, Checksums.fold(Checksums.sum(p, 40, 23, pseudo)));
    }

    @Test
    void leavesGarbageAlone() {
        byte[] junk = {0x45, 1, 2};
        Checksums.fix(junk);
        assertEquals("450102", HexFormat.of().formatHex(junk));
        Checksums.fix(new byte[0]);
    }
}
