package dev.palisade.core.packet;

import static dev.palisade.core.packet.TestPackets.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.net.IpAddress;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PacketTest {
    static final byte[] MSS_WS_SACK_TS = bytes(2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7);

    @Test
    void ipv4TcpSynWithOptions() {
        byte[] p = v4(6, "192.0.2.1", "198.51.100.7",
                tcp(40000, 80, 0xfffffff0L, 0, Packet.TH_SYN, 64240, MSS_WS_SACK_TS, new byte[0]));
        Packet k = new Packet();
        assertEquals(Malformed.NONE, k.decode(p));
        assertEquals(4, k.af());
        assertEquals(IpAddress.parse("192.0.2.1"), k.src());
        assertEquals(IpAddress.parse("198.51.100.7"), k.dst());
        assertEquals(0xc0000201, k.srcV4());
        assertEquals(6, k.proto());
        assertEquals(40000, k.srcPort());
        assertEquals(80, k.dstPort());
        assertEquals(0xfffffff0L, k.seq());
        assertEquals(Packet.TH_SYN, k.tcpFlags());
        assertEquals(64240, k.window());
        assertEquals(40, k.tcpHeaderLength());
        assertEquals(1460, k.mss());
        assertEquals(7, k.wscale());
        assertTrue(k.sackPermitted());
        assertTrue(k.hasTimestamp());
        assertEquals(1, k.tsVal());
        assertEquals(2, k.tsEcr());
        assertEquals(0, k.payloadLength());
        assertEquals(64, k.ttl());
        assertEquals(0x10, k.tos());
        assertTrue(Checksums.ipv4HeaderOk(p, 0));
        assertTrue(Checksums.transportOk(k));
    }

    /** TCP options are parsed on first use: a reused Packet must not keep a previous packet's options. */
    @Test
    void reusedPacketForgetsTheOptionsOfTheLast() {
        Packet k = new Packet();
        byte[] syn = v4(6, "192.0.2.1", "198.51.100.7", tcp(40000, 80, 1, 0, Packet.TH_SYN, 64240, MSS_WS_SACK_TS, new byte[0]));
        byte[] ack = v4(6, "192.0.2.1", "198.51.100.7", tcp(40000, 80, 2, 1, Packet.TH_ACK, 64240, new byte[0], new byte[3]));
        assertEquals(Malformed.NONE, k.decode(syn));
        assertEquals(Malformed.NONE, k.decode(ack)); // the SYN's options never asked for
        assertEquals(-1, k.mss());
        assertEquals(-1, k.wscale());
        assertFalse(k.sackPermitted());
        assertFalse(k.hasTimestamp());
        assertEquals(Malformed.NONE, k.decode(syn));
        assertEquals(7, k.wscale());
        assertEquals(1460, k.mss());
        assertEquals(Malformed.NONE, k.decode(ack)); // asked for this time
        assertEquals(-1, k.wscale());
        assertEquals(0, k.tsVal());
    }

    @Test
    void ipv4OptionsAndEthernetPaddingAndPayload() {
        byte[] payload = "hello".getBytes();
        byte[] p = v4(6, addr("10.0.0.1"), addr("10.0.0.2"), bytes(0x94, 4, 0, 0), // router alert
                tcp(1, 2, 5, 6, Packet.TH_ACK | Packet.TH_PUSH, 100, new byte[0], payload), 0);
        byte[] padded = Arrays.copyOf(p, p.length + 9); // link padding after the IP packet
        Packet k = new Packet();
        assertEquals(Malformed.NONE, k.decode(padded));
        assertEquals(24, k.ipHeaderLength());
        assertTrue(k.hasIpOptions());
        assertEquals(p.length, k.ipLength());
        assertEquals(5, k.payloadLength());
        assertEquals('h', padded[k.payloadOffset()]);
    }

    @Test
    void decodesAtOffsetWithoutCopy() {
        byte[] p = v4(17, "10.1.1.1", "10.2.2.2", udp(53, 5353, new byte[3]));
        byte[] big = new byte[p.length + 20];
        System.arraycopy(p, 0, big, 14, p.length);
        Packet k = new Packet();
        assertEquals(Malformed.NONE, k.decode(big, 14, p.length));
        assertSame(big, k.buffer());
        assertEquals(53, k.srcPort());
        assertEquals(5353, k.dstPort());
        assertEquals(3, k.payloadLength());
        assertEquals(14 + 28, k.payloadOffset());
    }

    @Test
    void ipv4Fragments() {
        byte[] l4 = udp(1000, 2000, new byte[40]);
        byte[] first = v4(17, addr("10.0.0.1"), addr("10.0.0.2"), new byte[0], Arrays.copyOf(l4, 24), 0x2000);
        Packet k = new Packet();
        assertEquals(Malformed.NONE, k.decode(first));
        assertTrue(k.isFragment());
        assertTrue(k.moreFragments());
        assertEquals(0, k.fragmentOffset());
        assertTrue(k.hasTransport());
        assertEquals(2000, k.dstPort());

        byte[] later = v4(17, addr("10.0.0.1"), addr("10.0.0.2"), new byte[0], new byte[24], 3);
        assertEquals(Malformed.NONE, k.decode(later));
        assertEquals(24, k.fragmentOffset());
        assertFalse(k.hasTransport());
        assertEquals(0, k.dstPort());
        assertEquals(17, k.proto());

        // first fragment too short for the TCP header: bad fragment
        byte[] tiny = v4(6, addr("10.0.0.1"), addr("10.0.0.2"), new byte[0], new byte[8], 0x2000);
        assertEquals(Malformed.BAD_FRAGMENT, k.decode(tiny));
        // fragment ending past 65535
        byte[] over = v4(17, addr("10.0.0.1"), addr("10.0.0.2"), new byte[0], new byte[16], 0x1fff);
        assertEquals(Malformed.BAD_FRAGMENT, k.decode(over));
    }

    @Test
    void malformedIpv4Classes() {
        Packet k = new Packet();
        byte[] good = v4(6, "10.0.0.1", "10.0.0.2", tcp(1, 2, 0, 0, 2, 0, new byte[0], new byte[0]));
        assertEquals(Malformed.SHORT, k.decode(new byte[0]));
        assertEquals(Malformed.SHORT, k.decode(Arrays.copyOf(good, 19)));
        assertEquals(Malformed.SHORT, k.decode(Arrays.copyOf(good, 30))); // total length 40 > 30
        byte[] v = good.clone();
        v[0] = 0x55;
        assertEquals(Malformed.BAD_VERSION, k.decode(v));
        byte[] ihl = good.clone();
        ihl[0] = 0x44;
        assertEquals(Malformed.BAD_HEADER_LENGTH, k.decode(ihl));
        ihl[0] = 0x4f; // 60 > 40 bytes
        assertEquals(Malformed.BAD_HEADER_LENGTH, k.decode(ihl));
        byte[] tl = good.clone();
        tl[3] = 10;
        assertEquals(Malformed.BAD_TOTAL_LENGTH, k.decode(tl));
        byte[] off = good.clone();
        off[20 + 12] = 0x40; // data offset 4 words
        assertEquals(Malformed.BAD_OFFSET, k.decode(off));
        off[20 + 12] = (byte) 0xf0; // 60 bytes > 20 available
        assertEquals(Malformed.SHORT, k.decode(off));
        byte[] udp = v4(17, "10.0.0.1", "10.0.0.2", udp(1, 2, new byte[4]));
        udp[20 + 5] = 100; // UDP length beyond packet
        assertEquals(Malformed.BAD_OFFSET, k.decode(udp));
        byte[] icmp = v4(1, "10.0.0.1", "10.0.0.2", new byte[6]);
        assertEquals(Malformed.SHORT, k.decode(icmp));
    }

    @Test
    void ipv6ExtensionChainToTcp() {
        byte[] tcp = tcp(443, 50000, 1, 2, Packet.TH_ACK, 10, new byte[0], new byte[7]);
        byte[] hbh = bytes(60, 0, 1, 4, 0, 0, 0, 0); // next: dest opts; PadN
        byte[] rt = bytes(44, 0, 4, 0, 0, 0, 0, 0); // routing type 4 (SRH-like), segs left 0; next frag
        byte[] dst = bytes(43, 0, 1, 4, 0, 0, 0, 0); // next: routing
        byte[] frag = bytes(6, 0, 0, 0, 0, 0, 0, 9); // offset 0, M=0: atomic fragment
        byte[] p = v6(0, "2001:db8::1", "2001:db8::2", cat(hbh, dst, rt, frag, tcp));
        Packet k = new Packet();
        assertEquals(Malformed.NONE, k.decode(p));
        assertEquals(6, k.af());
        assertEquals(IpAddress.parse("2001:db8::1"), k.src());
        assertEquals(0x20010db800000000L, k.srcHi());
        assertEquals(1L, k.srcLo());
        assertEquals(4, k.extHeaderCount());
        assertEquals(72, k.ipHeaderLength());
        assertEquals(6, k.proto());
        assertTrue(k.isFragment());
        assertEquals(9, k.fragmentId());
        assertEquals(443, k.srcPort());
        assertEquals(7, k.payloadLength());
        assertTrue(Checksums.transportOk(k));
    }

    @Test
    void ipv6NonFirstFragmentAndBadChains() {
        Packet k = new Packet();
        byte[] frag = bytes(17, 0, 0, 0x11, 0, 0, 0, 1); // offset 16 bytes (2<<3), M=1
        assertEquals(Malformed.NONE, k.decode(v6(44, "2001:db8::1", "2001:db8::2", cat(frag, new byte[16]))));
        assertEquals(16, k.fragmentOffset());
        assertTrue(k.moreFragments());
        assertFalse(k.hasTransport());
        assertEquals(17, k.proto());

        // hop-by-hop not first
        byte[] dst = bytes(0, 0, 1, 4, 0, 0, 0, 0);
        byte[] hbh = bytes(59, 0, 1, 4, 0, 0, 0, 0);
        assertEquals(Malformed.BAD_EXT_HEADER, k.decode(v6(60, "::1", "::2", cat(dst, hbh))));
        // chain too long
        byte[] chain = new byte[0];
        for (int i = 0; i < Packet.MAX_EXT_HEADERS + 1; i++) {
            chain = cat(chain, bytes(60, 0, 1, 4, 0, 0, 0, 0));
        }
        chain[chain.length - 8] = 59;
        assertEquals(Malformed.BAD_EXT_HEADER, k.decode(v6(60, "::1", "::2", chain)));
        // a chain at the limit is fine
        byte[] ok = Arrays.copyOfRange(chain, 8, chain.length);
        assertEquals(Malformed.NONE, k.decode(v6(60, "::1", "::2", ok)));
        assertEquals(59, k.proto());
        // extension header cut short
        assertEquals(Malformed.BAD_EXT_HEADER, k.decode(v6(60, "::1", "::2", bytes(6, 3, 0, 0, 0, 0, 0, 0))));
        // payload length beyond buffer
        byte[] p = v6(59, "::1", "::2", new byte[8]);
        assertEquals(Malformed.SHORT, k.decode(Arrays.copyOf(p, 44)));
        assertEquals(Malformed.SHORT, k.decode(Arrays.copyOf(p, 39)));
    }

    @Test
    void icmpEchoAndErrorWithEmbeddedHeader() {
        Packet k = new Packet();
        byte[] echo = v4(1, "10.0.0.1", "10.0.0.2", icmp(8, 0, 0x1234, 1, new byte[56]));
        assertEquals(Malformed.NONE, k.decode(echo));
        assertEquals(8, k.icmpType());
        assertEquals(0x1234, k.icmpId());
        assertFalse(k.isIcmpError());
        assertNull(k.embedded());
        assertTrue(Checksums.transportOk(k));

        byte[] orig = v4(17, "10.0.0.1", "10.0.0.2", udp(33000, 53, new byte[30]));
        byte[] quoted = Arrays.copyOf(orig, 28);
        byte[] err = v4(1, "10.0.0.2", "10.0.0.1", icmp(3, 3, 0, 0, quoted));
        assertEquals(Malformed.NONE, k.decode(err));
        assertTrue(k.isIcmpError());
        assertEquals(-1, k.icmpId());
        Packet in = k.embedded();
        assertNotNull(in);
        assertEquals(IpAddress.parse("10.0.0.1"), in.src());
        assertEquals(33000, in.srcPort());
        assertEquals(53, in.dstPort());
        assertEquals(17, in.proto());
        // quoted TCP: only 8 bytes of header
        byte[] t = v4(6, "10.0.0.1", "10.0.0.2", tcp(1234, 80, 777, 0, 2, 0, new byte[0], new byte[0]));
        assertEquals(Malformed.NONE, k.decode(v4(1, "10.0.0.9", "10.0.0.1", icmp(11, 0, 0, 0, Arrays.copyOf(t, 28)))));
        assertEquals(777, k.embedded().seq());
        assertEquals(80, k.embedded().dstPort());
        // quote too short
        assertEquals(Malformed.BAD_EMBEDDED, k.decode(v4(1, "10.0.0.9", "10.0.0.1", icmp(3, 1, 0, 0, Arrays.copyOf(t, 24)))));
        // the next decode of a non-error drops the embedded view
        assertEquals(Malformed.NONE, k.decode(echo));
        assertNull(k.embedded());
    }

    @Test
    void icmp6EchoAndError() {
        Packet k = new Packet();
        byte[] echo = v6(58, "2001:db8::1", "2001:db8::2", icmp(128, 0, 77, 1, new byte[8]));
        assertEquals(Malformed.NONE, k.decode(echo));
        assertEquals(128, k.icmpType());
        assertEquals(77, k.icmpId());
        assertTrue(Checksums.transportOk(k));
        byte[] orig = v6(17, "2001:db8::1", "2001:db8::2", udp(5000, 6000, new byte[4]));
        byte[] err = v6(58, "2001:db8::2", "2001:db8::1", icmp(1, 4, 0, 0, orig));
        assertEquals(Malformed.NONE, k.decode(err));
        assertTrue(k.isIcmpError());
        assertEquals(6000, k.embedded().dstPort());
        assertTrue(k.embedded().v6());
        // ICMPv4 error quoting an IPv6 packet: unusable
        byte[] bad = v4(1, "10.0.0.1", "10.0.0.2", icmp(3, 3, 0, 0, orig));
        assertEquals(Malformed.BAD_EMBEDDED, k.decode(bad));
    }

    @Test
    void otherProtocolsByNumber() {
        Packet k = new Packet();
        assertEquals(Malformed.NONE, k.decode(v4(47, "10.0.0.1", "10.0.0.2", new byte[12]))); // GRE
        assertEquals(47, k.proto());
        assertFalse(k.hasTransport());
        assertEquals(12, k.payloadLength());
    }

    @Test
    void countersLikePfInfo() {
        DecodeCounters c = new DecodeCounters();
        Packet k = new Packet();
        c.count(k.decode(new byte[3]));
        c.count(k.decode(v4(47, "10.0.0.1", "10.0.0.2", new byte[1])));
        byte[] tiny = v4(6, addr("10.0.0.1"), addr("10.0.0.2"), new byte[0], new byte[8], 0x2000);
        c.count(k.decode(tiny));
        assertEquals(3, c.total());
        assertEquals(1, c.ok());
        assertEquals(2, c.malformed());
        assertEquals(1L, c.byPfReason().get("short"));
        assertEquals(1L, c.byPfReason().get("fragment"));
        assertEquals(0L, c.byPfReason().get("bad-offset"));
    }
}
