package dev.palisade.kernel.nfqueue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.palisade.kernel.netlink.NlMsg;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NfQueueParseTest {

    /** A packet message built the way the kernel lays it out parses back to its fields. */
    @Test
    void parsesTheKernelsPacketMessage() {
        NlMsg m = new NlMsg();
        int s = m.beginNf(NlMsg.NFNL_SUBSYS_QUEUE, NfQueue.NFQNL_MSG_PACKET, 0, 0, 2, 7);
        m.attr(NfQueue.NFQA_PACKET_HDR, new byte[] {0, 0, 1, 2, 0x08, 0x00, 1});
        m.be32(NfQueue.NFQA_MARK, 0x42).be32(NfQueue.NFQA_IFINDEX_INDEV, 3).be32(NfQueue.NFQA_SKB_INFO, 0x4);
        m.attr(NfQueue.NFQA_TIMESTAMP, new byte[] {0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 5});
        m.attr(NfQueue.NFQA_PAYLOAD, new byte[] {0x45, 1, 2});
        m.end(s);
        QueuedPacket p = NfQueue.parse(m.buffer(), 0, m.size());
        assertEquals(7, p.queue());
        assertEquals(0x102, p.id());
        assertEquals(0x0800, p.hwProtocol());
        assertEquals(1, p.hook());
        assertEquals(2, p.family());
        assertEquals(3, p.inIndex());
        assertEquals(0, p.outIndex());
        assertEquals(0x42, p.mark());
        assertEquals(10_000_005_000L, p.timestampNanos());
        assertArrayEquals(new byte[] {0x45, 1, 2}, p.data());
        assertTrue(p.gso());
    }

    @FuzzTest(maxDuration = "10s")
    void anyBytesParseWithoutThrowing(byte[] data) {
        if (data.length < 20) return;
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        NfQueue.parse(b, 0, data.length);
    }
}
