package dev.palisade.core.packet;

import static dev.palisade.core.packet.TestPackets.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.net.IpAddress;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChecksumsAndBuilderTest {

    @Test
    void ipv4HeaderKnownVector() {
        // the classic example header: checksum 0xb861
        byte[] h = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
        assertEquals(0xb861, Checksums.ipv4Header(h, 0));
        h[10] = (byte) 0xb8;
        h[11] = 0x61;
        assertTrue(Checksums.ipv4HeaderOk(h, 0));
        h[11] = 0x62;
        assertFalse(Checksums.ipv4HeaderOk(h, 0));
    }

    @Test
    void udpKnownVector() {
        // IPv4 UDP 10.0.0.1:1234 -> 10.0.0.2:53, payload "abcd"; checksum computed by hand:
        // pseudo 0a00+0001+0a00+0002+0011+000c = 0x1420; udp 04d2+0035+000c+6162+6364 = 0xc9d9
        // total 0x1420+0xc979 = 0xddf9 -> ~ = 0x2206
        byte[] p = v4(17, "10.0.0.1", "10.0.0.2", udp(1234, 53, "abcd".getBytes()));
        Packet k = new Packet();
        k.decode(p);
        assertEquals(0x2206, Checksums.transport(k));
        assertEquals(0, Packet.u16(p, 26)); // IPv4 UDP "no checksum" is kept by fixChecksums
        assertTrue(Checksums.transportOk(k));
        p[26] = 0x22;
        p[27] = 0x07;
        assertFalse(Checksums.transportOk(k));
        p[27] = 0x06;
        assertTrue(Checksums.transportOk(k));
    }

    @Test
    void fixChecksumsAfterRewrite() {
        byte[] p = v4(6, "10.0.0.1", "10.0.0.2", tcp(1, 80, 100, 200, Packet.TH_ACK, 10, new byte[0], "GET /".getBytes()));
        Packet k = new Packet();
        k.decode(p);
        assertTrue(Checksums.transportOk(k));
        p[p.length - 1] = 'X'; // rewrite payload
        p[15] = 9; // and destination address
        k.decode(p);
        assertFalse(Checksums.transportOk(k));
        assertFalse(Checksums.ipv4HeaderOk(p, 0));
        assertTrue(Checksums.fixChecksums(p));
        k.decode(p);
        assertTrue(Checksums.transportOk(k));
        assertTrue(Checksums.ipv4HeaderOk(p, 0));
        assertFalse(Checksums.fixChecksums(new byte[5]));
        // IPv6 UDP checksum 0 would be computed as 0xffff, never 0
        byte[] u6 = v6(17, "::1", "::2", udp(1, 2, new byte[0]));
        k.decode(u6);
        assertNotEquals(0, Packet.u16(u6, 46));
        assertTrue(Checksums.transportOk(k));
    }

    @Test
    void rstForSynPerPf() {
        byte[] syn = v4(6, "192.0.2.1", "198.51.100.7", tcp(40000, 22, 1000, 0, Packet.TH_SYN, 512, new byte[0], new byte[0]));
        Packet k = new Packet();
        k.decode(syn);
        byte[] rst = PacketBuilder.tcpReset(k, 64);
        Packet r = new Packet();
        assertEquals(Malformed.NONE, r.decode(rst));
        assertEquals(IpAddress.parse("198.51.100.7"), r.src());
        assertEquals(IpAddress.parse("192.0.2.1"), r.dst());
        assertEquals(22, r.srcPort());
        assertEquals(40000, r.dstPort());
        assertEquals(0, r.seq());
        assertEquals(1001, r.ack());
        assertEquals(Packet.TH_RST | Packet.TH_ACK, r.tcpFlags());
        assertEquals(0, r.window());
        assertTrue(Checksums.transportOk(r));
        assertTrue(Checksums.ipv4HeaderOk(rst, 0));
    }

    @Test
    void rstForDataSegmentAndV6() {
        byte[] seg = v6(6, "2001:db8::1", "2001:db8::2",
                tcp(5555, 80, 0xfffffffeL, 4242, Packet.TH_ACK | Packet.TH_FIN, 512, new byte[0], new byte[3]));
        Packet k = new Packet();
        k.decode(seg);
        Packet r = new Packet();
        r.decode(PacketBuilder.tcpReset(k, 64));
        assertEquals(4242, r.seq());
        assertEquals((0xfffffffeL + 3 + 1) & 0xffffffffL, r.ack()); // wraps
        assertTrue(r.v6());
        assertTrue(Checksums.transportOk(r));
        // never a RST for a RST
        k.decode(v4(6, "10.0.0.1", "10.0.0.2", tcp(1, 2, 0, 0, Packet.TH_RST, 0, new byte[0], new byte[0])));
        assertFalse(PacketBuilder.canReturnRst(k));
        assertThrows(IllegalArgumentException.class, () -> PacketBuilder.tcpReset(k, 64));
    }

    @Test
    void icmpUnreachableQuotesHeaderAndEightBytes() {
        byte[] orig = v4(17, "10.0.0.1", "10.0.0.2", udp(33000, 9999, new byte[100]));
        Packet k = new Packet();
        k.decode(orig);
        byte[] e = PacketBuilder.icmpUnreachable(k, PacketBuilder.ICMP_UNREACH, PacketBuilder.ICMP_UNREACH_PORT, 64);
        assertEquals(20 + 8 + 28, e.length);
        Packet r = new Packet();
        assertEquals(Malformed.NONE, r.decode(e));
        assertEquals(3, r.icmpType());
        assertEquals(3, r.icmpCode());
        assertEquals(IpAddress.parse("10.0.0.2"), r.src());
        assertEquals(9999, r.embedded().dstPort());
        assertArrayEquals(Arrays.copyOf(orig, 28), Arrays.copyOfRange(e, 28, 56));
        assertTrue(Checksums.transportOk(r));
        // never about an ICMP error
        assertFalse(PacketBuilder.canReturnIcmp(r));
    }

    @Test
    void icmp6UnreachableQuotesUpTo1280() {
        byte[] orig = v6(17, "2001:db8::1", "2001:db8::2", udp(1, 2, new byte[1400]));
        Packet k = new Packet();
        k.decode(orig);
        byte[] e = PacketBuilder.icmpUnreachable(k, PacketBuilder.ICMP6_DST_UNREACH, PacketBuilder.ICMP6_DST_UNREACH_NOPORT, 64);
        assertEquals(1280, e.length);
        Packet r = new Packet();
        assertEquals(Malformed.NONE, r.decode(e));
        assertEquals(1, r.icmpType());
        assertEquals(4, r.icmpCode());
        assertEquals(2, r.embedded().dstPort());
        assertTrue(Checksums.transportOk(r));
    }

    // IPv4 UDP 10.77.0.1:40000 -> 10.77.0.2:9999, payload "hello"; checksums 0x13fc and 0xe415 computed
    // independently (RFC 1071 sums in Python). The kernel module's old fixer test carried wrong values here
    // (0x13e3, 0xf2d9) and never noticed, as it only compared the fixer with itself.
    static final String V4_UDP = "4500002112344000401113fc0a4d00010a4d0002" + "9c40270f000d" + "e415" + "68656c6c6f";

    /** The fixer the NFQUEUE reader applies to rewritten packets restores a captured packet's checksums. */
    @Test
    void fixChecksumsRestoresACapturedPacket() {
        byte[] good = java.util.HexFormat.of().parseHex(V4_UDP);
        byte[] broken = good.clone();
        broken[10] = 0;
        broken[11] = 0;
        broken[26] = 0x12;
        broken[27] = 0x34;
        assertTrue(Checksums.fixChecksums(broken));
        assertArrayEquals(good, broken);
    }

    /** RFC 768: an IPv4 UDP checksum of zero means "none" and stays zero; IPv6 has no such case (RFC 8200 8.1). */
    @Test
    void zeroIpv4UdpChecksumMeansNone() {
        byte[] p = java.util.HexFormat.of().parseHex(V4_UDP);
        p[26] = 0;
        p[27] = 0;
        p[28] = 'j'; // payload changed: still no checksum
        assertTrue(Checksums.fixChecksums(p));
        assertEquals(0, Packet.u16(p, 26));
    }

    @Test
    void fixChecksumsLeavesGarbageAlone() {
        byte[] junk = {0x45, 1, 2};
        assertFalse(Checksums.fixChecksums(junk));
        assertArrayEquals(new byte[] {0x45, 1, 2}, junk);
        assertFalse(Checksums.fixChecksums(new byte[0]));
    }
}
