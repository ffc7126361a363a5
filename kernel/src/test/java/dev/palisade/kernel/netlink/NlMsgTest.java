package dev.palisade.kernel.netlink;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NlMsgTest {

    @Test
    void buildsAlignedNestedMessagesThatParseBack() {
        NlMsg m = new NlMsg(16);
        int s = m.beginNf(NlMsg.NFNL_SUBSYS_NFTABLES, 12, NlMsg.NLM_F_REQUEST | NlMsg.NLM_F_ACK, 77, 1, 0x0102);
        m.string(1, "palisade").u8(9, 7);
        int n = m.nest(3);
        m.be32(4, 0xdeadbeef).be64(5, 0x0102030405060708L).be16(6, 0xabcd);
        m.nestEnd(n);
        m.end(s);
        ByteBuffer b = m.buffer();
        assertEquals(m.size(), NlMsg.msgLen(b, 0));
        assertEquals(0, m.size() % 4);
        assertEquals((10 << 8) | 12, NlMsg.msgType(b, 0));
        assertEquals(77, NlMsg.msgSeq(b, 0));
        assertEquals(1, b.get(16));
        assertEquals(0x0102, NlMsg.be16(b, 18));
        NlAttrs a = NlAttrs.parse(b, 20, m.size(), 10);
        assertEquals("palisade", a.string(1));
        assertEquals(7, a.u8(9, -1));
        assertEquals(12, a.length(1) + 3, "string is NUL-terminated, 9 bytes");
        NlAttrs in = a.nested(3, 10);
        assertEquals(0xdeadbeef, in.be32(4, 0));
        assertEquals(0x0102030405060708L, in.be64(5, 0));
        assertEquals(0xabcd, in.be16(6, 0));
        assertFalse(in.has(7));
        assertEquals(-1, in.be32(7, -1));
    }

    @Test
    void growsAndRefusesOversizedNests() {
        NlMsg m = new NlMsg(8);
        int n = m.nest(1);
        for (int i = 0; i < 20000; i++) m.be32(2, i);
        assertThrows(IllegalStateException.class, () -> m.nestEnd(n));
    }

    @Test
    void errnoNames() {
        assertEquals("EEXIST", Errno.name(17));
        assertEquals("ENOENT", Errno.name(-2));
        assertEquals("errno 4000", Errno.name(4000));
        assertEquals("NFT_MSG_NEWSETELEM(inet palisade bastards): EEXIST",
                new NetlinkException("NFT_MSG_NEWSETELEM(inet palisade bastards)", 17, null).getMessage());
        assertTrue(new NetlinkException("X", 22, "bad key").getMessage().endsWith("EINVAL (bad key)"));
    }

    /** Attribute walking never reads outside its range, whatever the bytes. */
    @FuzzTest(maxDuration = "10s")
    void attributeParserSurvivesAnyBytes(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        NlAttrs a = NlAttrs.parse(b, 0, data.length, 16);
        for (int t = 0; t <= 16; t++) {
            if (a.has(t)) {
                a.bytes(t);
                a.string(t);
                a.be64(t, 0);
                a.nested(t, 16).be32(1, 0);
            }
        }
        NlAttrs.forEach(b, 0, data.length, (t, o, l) -> {
            if (o + l > data.length) throw new AssertionError("attribute past the end");
        });
    }
}
