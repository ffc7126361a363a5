package dev.palisade.core.pcap;

import static dev.palisade.core.packet.TestPackets.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.core.packet.Malformed;
import dev.palisade.core.packet.Packet;
import dev.palisade.core.packet.PacketBuilder;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Captures written by text2pcap, editcap, mergecap, tcpdump and tshark, read by Palisade. */
class CaptureToolsTest {
    @TempDir
    Path dir;

    static final byte[] TCP4 = v4(6, "192.0.2.1", "198.51.100.2", tcp(40000, 443, 7, 0, Packet.TH_SYN, 1000, new byte[0], new byte[0]));
    static final byte[] UDP6 = v6(17, "2001:db8::1", "2001:db8::2", udp(5353, 53, "q".getBytes()));

    Path text2pcap(String name, List<byte[]> frames, List<String> prefixes, String... opts) throws Exception {
        Path in = dir.resolve(name + ".txt");
        Files.writeString(in, Tools.hexdump(frames, prefixes));
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("text2pcap", "-q"));
        cmd.addAll(List.of(opts));
        cmd.add(in.toString());
        cmd.add(out.toString());
        Tools.run(cmd);
        return out;
    }

    static void assertIp(CaptureReaderTest.CaptureRecordCopy r, int dstPort) {
        assertTrue(r.ipOffset() >= 0, "no IP in link type " + r.linkType());
        Packet p = new Packet();
        assertEquals(Malformed.NONE, p.decode(r.data(), r.ipOffset(), r.data().length - r.ipOffset()));
        assertEquals(dstPort, p.dstPort());
    }

    @Test
    void text2pcapRawIpPcap() throws Exception {
        Tools.need("text2pcap");
        Path f = text2pcap("raw.pcap", List.of(TCP4, UDP6), null, "-F", "pcap", "-l", "101");
        var recs = CaptureReaderTest.readAll(f);
        assertEquals(2, recs.size());
        assertEquals(101, recs.get(0).linkType());
        assertIp(recs.get(0), 443);
        assertIp(recs.get(1), 53);
    }

    @Test
    void text2pcapEthernetVlanPcapngWithNameAndDirection() throws Exception {
        Tools.need("text2pcap");
        byte[] eth = cat(bytes(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00, 0x00, 0x07, 0x08, 0x00), TCP4);
        byte[] eth6 = cat(bytes(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd), UDP6);
        Path f = text2pcap("eth.pcapng", List.of(eth, eth6), List.of("I 2024-01-02T03:04:05.25Z", "O 2024-01-02T03:04:06Z"),
                "-D", "-t", "ISO", "-N", "eth7", "-l", "1");
        var recs = CaptureReaderTest.readAll(f);
        assertEquals(2, recs.size());
        assertEquals("eth7", recs.get(0).ifName());
        assertEquals(18, recs.get(0).ipOffset());
        assertEquals(Direction.IN, recs.get(0).dir());
        assertEquals(Direction.OUT, recs.get(1).dir());
        assertEquals(1704164645_250_000_000L, recs.get(0).ts());
        assertIp(recs.get(0), 443);
        assertIp(recs.get(1), 53);
    }

    @Test
    void editcapConvertsToEveryLinkTypeAndFormat() throws Exception {
        Tools.need("text2pcap");
        Tools.need("editcap");
        Path raw = text2pcap("raw.pcap", List.of(TCP4, UDP6), null, "-F", "pcap", "-l", "101");
        // editcap -T rewrites only the encapsulation number; so build each link type's frames ourselves
        // and let editcap convert the file format (pcap -> pcapng -> nanosecond pcap).
        record Case(int link, byte[] hdr4, byte[] hdr6) {}
        List<Case> cases = List.of(
                new Case(113, bytes(0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00),
                        bytes(0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd)),
                new Case(276, bytes(0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0),
                        bytes(0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0)),
                new Case(0, bytes(2, 0, 0, 0), bytes(24, 0, 0, 0)),
                new Case(0, bytes(0, 0, 0, 2), bytes(0, 0, 0, 30)),
                new Case(108, bytes(0, 0, 0, 2), bytes(0, 0, 0, 24)),
                new Case(12, new byte[0], new byte[0]));
        for (Case c : cases) {
            byte[] hdr4 = c.hdr4();
            Path f = text2pcap("l" + c.link() + ".pcap", List.of(cat(hdr4, TCP4), cat(c.hdr6(), UDP6)), null,
                    "-F", "pcap", "-l", Integer.toString(c.link()));
            Path ng = dir.resolve("l" + c.link() + ".pcapng");
            Tools.run(List.of("editcap", "-F", "pcapng", f.toString(), ng.toString()));
            Path ns = dir.resolve("l" + c.link() + ".ns.pcap");
            Tools.run(List.of("editcap", "-F", "nsecpcap", ng.toString(), ns.toString()));
            for (Path x : List.of(f, ng, ns)) {
                var recs = CaptureReaderTest.readAll(x);
                assertEquals(2, recs.size(), x.toString());
                // Wireshark writes DLT_RAW 12/14 as LINKTYPE_RAW 101
                int want = c.link() == 12 || c.link() == 14 ? 101 : c.link();
                assertEquals(want, recs.get(0).linkType(), x.toString());
                assertIp(recs.get(0), 443);
                assertIp(recs.get(1), 53);
                if (c.link() == 113) {
                    assertEquals(Direction.OUT, recs.get(0).dir());
                    assertEquals(Direction.IN, recs.get(1).dir());
                }
                if (c.link() == 276) {
                    assertEquals(Direction.OUT, recs.get(0).dir());
                }
            }
        }
        // and editcap -T rawip4 on a raw file keeps it readable
        Path r4 = dir.resolve("r4.pcap");
        Tools.run(List.of("editcap", "-T", "rawip", raw.toString(), r4.toString()));
        assertEquals(2, CaptureReaderTest.readAll(r4).size());
    }

    @Test
    void mergecapSeveralInterfaces() throws Exception {
        Tools.need("text2pcap");
        Tools.need("mergecap");
        Path a = text2pcap("a.pcapng", List.of(TCP4), null, "-N", "wan0", "-l", "101");
        Path b = text2pcap("b.pcapng", List.of(cat(bytes(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd), UDP6)), null, "-N", "lan0", "-l", "1");
        Path m = dir.resolve("m.pcapng");
        Tools.run(List.of("mergecap", "-F", "pcapng", "-w", m.toString(), a.toString(), b.toString()));
        var recs = CaptureReaderTest.readAll(m);
        assertEquals(2, recs.size());
        assertEquals(java.util.Set.of("wan0", "lan0"), java.util.Set.of(recs.get(0).ifName(), recs.get(1).ifName()));
        for (var r : recs) {
            assertIp(r, r.ifName().equals("wan0") ? 443 : 53);
        }
    }

    @Test
    void tsharkAgreesOurBuiltPacketsHaveGoodChecksums() throws Exception {
        Tools.need("tshark");
        Packet p = new Packet();
        List<byte[]> frames = new ArrayList<>();
        p.decode(TCP4);
        frames.add(PacketBuilder.tcpReset(p, 64));
        frames.add(PacketBuilder.icmpUnreachable(p, 3, 3, 64));
        p.decode(v6(6, "2001:db8::1", "2001:db8::2", tcp(1, 2, 3, 4, Packet.TH_ACK, 5, new byte[0], new byte[9])));
        frames.add(PacketBuilder.tcpReset(p, 64));
        frames.add(PacketBuilder.icmpUnreachable(p, 1, 4, 64));
        byte[] rewritten = v4(17, "10.0.0.1", "10.0.0.2", udp(1, 2, "abcdef".getBytes()));
        rewritten[rewritten.length - 1] = 'Z';
        rewritten[26] = 1; // give it a (wrong) checksum so fixChecksums recomputes it
        dev.palisade.core.packet.Checksums.fixChecksums(rewritten);
        frames.add(rewritten);
        Path f = dir.resolve("built.pcap");
        try (PcapWriter w = PcapWriter.create(f, LinkType.RAW)) {
            for (byte[] fr : frames) w.write(0, fr);
        }
        String out = Tools.run(List.of("tshark", "-r", f.toString(), "-o", "ip.check_checksum:TRUE",
                "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                "-T", "fields", "-E", "separator=;", "-E", "aggregator=+", "-e", "ip.checksum.status", "-e", "tcp.checksum.status",
                "-e", "udp.checksum.status", "-e", "icmp.checksum.status", "-e", "icmpv6.checksum.status"));
        String[] lines = out.strip().split("\n");
        assertEquals(5, lines.length, out);
        for (String line : lines) {
            // status 1 = Good, 0 = Bad, 2 = unverified; a field holds several values for ICMP errors (quoted headers)
            int good = 0;
            for (String field : line.split(";", -1)) {
                for (String v : field.split("\\+")) {
                    assertNotEquals("0", v, "tshark says a checksum is bad: " + line);
                }
                if (field.startsWith("1")) good++;
            }
            assertTrue(good >= 1, "no checksum verified by tshark: " + line);
        }
        assertTrue(lines[0].startsWith("1;1"), "IPv4 and TCP checksums of the RST: " + lines[0]);
    }

    /** Real traffic on lo recorded by tcpdump (root only), as Ethernet and as Linux cooked v2 ("any"). */
    @Test
    void tcpdumpRealTraffic() throws Exception {
        Tools.need("tcpdump");
        assumeTrue(Tools.root(), "tcpdump capture needs root; skipping");
        for (String link : List.of("EN10MB", "LINUX_SLL2")) {
            try (DatagramSocket rx = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                    DatagramSocket tx = new DatagramSocket()) {
                int port = rx.getLocalPort();
                Path f = dir.resolve(link + ".pcap");
                String iface = link.equals("EN10MB") ? "lo" : "any";
                Process td = new ProcessBuilder("tcpdump", "-i", iface, "-y", link, "-U", "-c", "3", "-w", f.toString(),
                        "udp and dst port " + port).redirectErrorStream(true).redirectOutput(dir.resolve(link + ".log").toFile()).start();
                try {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    // tcpdump is listening once it said so; until then datagrams may be missed, so keep sending until it exits
                    while (td.isAlive() && System.nanoTime() < deadline) {
                        byte[] m = "hello".getBytes();
                        tx.send(new DatagramPacket(m, m.length, InetAddress.getLoopbackAddress(), port));
                        td.waitFor(100, TimeUnit.MILLISECONDS);
                    }
                    assertFalse(td.isAlive(), "tcpdump did not capture 3 packets: " + Files.readString(dir.resolve(link + ".log")));
                } finally {
                    td.destroy();
                    td.waitFor(5, TimeUnit.SECONDS);
                }
                var recs = CaptureReaderTest.readAll(f);
                assertEquals(3, recs.size());
                for (var r : recs) {
                    assertEquals(link.equals("EN10MB") ? 1 : 276, r.linkType());
                    assertIp(r, port);
                }
            }
        }
    }
}
