package dev.palisade.core.divert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class PacketViewTest {

    /** IPv4 UDP 192.0.2.1:1000 > 192.0.2.2:53 carrying "hello", checksums zero. */
    static byte[] udp4(String payload) {
        byte[] p = payload.getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[28 + p.length];
        b[0] = 0x45;
        b[2] = (byte) (b.length >>> 8);
        b[3] = (byte) b.length;
        b[8] = 64;
        b[9] = 17;
        b[12] = (byte) 192; b[13] = 0; b[14] = 2; b[15] = 1;
        b[16] = (byte) 192; b[17] = 0; b[18] = 2; b[19] = 2;
        b[20] = 0x03; b[21] = (byte) 0xe8;
        b[22] = 0; b[23] = 53;
        b[24] = (byte) ((8 + p.length) >>> 8);
        b[25] = (byte) (8 + p.length);
        b[26] = 0x12; // a non-zero (wrong) checksum, so it is fixed rather than "none"
        System.arraycopy(p, 0, b, 28, p.length);
        return b;
    }

    @Test
    void decodesTheFlowAndPayload() {
        PacketView v = PacketView.decode(udp4("hello"));
        assertTrue(v.isUdp());
        assertEquals(28, v.payloadOffset());
        assertEquals(5, v.payloadLength());
        assertEquals("udp 192.0.2.1:1000 > 192.0.2.2:53", v.flow().toString());
        assertFalse(v.checksumsValid());
        assertNull(PacketView.decode(new byte[] {0x45, 0, 0}));
    }

    @Test
    void resizeFixesLengthsAndTheBaseClassFixesChecksums() {
        PacketView v = PacketView.decode(udp4("hello world"));
        byte[] shorter = v.withPayloadLength(5);
        PacketView s = PacketView.decode(shorter);
        assertEquals(5, s.payloadLength());
        assertEquals(13, ((shorter[24] & 0xff) << 8) | (shorter[25] & 0xff));
        PayloadDiverter d = new PayloadDiverter("t") {
            @Override
            protected Verdict inspect(PacketView p) {
                p.data()[p.payloadOffset()] = 'J';
                return p.rewritten();
            }
        };
        List<Verdict> got = new ArrayList<>();
        Consumer<Verdict> sink = got::add;
        d.divert(new DivertedPacket(7, 1, udp4("hello"), null, null, 0), sink);
        byte[] out = assertInstanceOf(Verdict.Rewrite.class, got.getFirst()).packet();
        PacketView o = PacketView.decode(out);
        assertEquals("Jello", new String(out, o.payloadOffset(), o.payloadLength(), StandardCharsets.US_ASCII));
        assertTrue(o.checksumsValid(), "PayloadDiverter fixed the checksums");
    }

    @Test
    void failingDiverterPassesAndUndecodableBytesPass() {
        PayloadDiverter d = new PayloadDiverter("boom") {
            @Override
            protected Verdict inspect(PacketView p) {
                throw new IllegalStateException("bug");
            }
        };
        assertSame(Verdict.PASS, d.judge(udp4("x")));
        assertSame(Verdict.PASS, d.judge(new byte[] {1, 2, 3}));
    }
}
