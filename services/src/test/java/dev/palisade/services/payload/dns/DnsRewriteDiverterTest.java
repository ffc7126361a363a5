package dev.palisade.services.payload.dns;

import static dev.palisade.services.payload.Pkts.tcp;
import static dev.palisade.services.payload.Pkts.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.divert.DiverterConfigException;
import dev.palisade.core.divert.DiverterConfigParser;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.PacketView;
import dev.palisade.core.divert.Verdict;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class DnsRewriteDiverterTest {

    static final String BLOCK = "diverter \"dns-rewrite\" port 53 { name ads.example.com tracker.net; sinkhole 0.0.0.0 2001:db8::dead }";

    static DnsRewriteDiverter diverter(String block) {
        return (DnsRewriteDiverter) new DnsRewriteProvider().create(DiverterConfigParser.parseOne(block, "test.conf"),
                DiverterContext.of(p -> {}, Map.of(PrometheusRegistry.class, new PrometheusRegistry())));
    }

    /** A response as a real server would send it, built with dnsjava. */
    static byte[] response(String qname, int qtype, Record... answers) throws Exception {
        Name n = Name.fromString(qname);
        Message m = new Message(4242);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RD);
        m.getHeader().setFlag(Flags.RA);
        m.addRecord(Record.newRecord(n, qtype, DClass.IN), Section.QUESTION);
        for (Record r : answers) m.addRecord(r, Section.ANSWER);
        m.addRecord(new NSRecord(Name.fromString("example.com."), DClass.IN, 3600, Name.fromString("ns1.example.com.")), Section.AUTHORITY);
        m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        return m.toWire();
    }

    static ARecord a(String name, String addr) throws Exception {
        return new ARecord(Name.fromString(name), DClass.IN, 300, InetAddress.getByName(addr));
    }

    static Message parsedPayload(byte[] packet, int skip) throws Exception {
        PacketView v = PacketView.decode(packet);
        assertNotNull(v);
        assertTrue(v.checksumsValid(), "checksums");
        return new Message(Arrays.copyOfRange(packet, v.payloadOffset() + skip, v.payloadOffset() + v.payloadLength()));
    }

    static List<String> answers(Message m) {
        return m.getSection(Section.ANSWER).stream().map(r -> Type.string(r.getType()) + " " + r.rdataToString()).toList();
    }

    @Test
    void sinkholesListedAOverUdpInPlace() throws Exception {
        DnsRewriteDiverter d = diverter(BLOCK);
        byte[] dns = response("ads.example.com.", Type.A, a("ads.example.com.", "93.184.216.34"), a("ads.example.com.", "93.184.216.35"));
        byte[] pkt = udp("192.0.2.53", 53, "192.0.2.10", 40000, dns);
        byte[] out = assertInstanceOf(Verdict.Rewrite.class, d.judge(pkt)).packet();
        assertEquals(pkt.length, out.length);
        Message m = parsedPayload(out, 0);
        assertEquals(List.of("A 0.0.0.0", "A 0.0.0.0"), answers(m));
        assertEquals(Rcode.NOERROR, m.getRcode());
        assertEquals(1, m.getSection(Section.AUTHORITY).size());
        assertNotNull(m.getOPT());
        assertEquals(1, d.count(DnsResponseRewriter.Result.SINKHOLED));
    }

    @Test
    void sinkholesAaaaOverIpv6AndSubdomains() throws Exception {
        DnsRewriteDiverter d = diverter(BLOCK);
        AAAARecord aaaa = new AAAARecord(Name.fromString("x.y.tracker.net."), DClass.IN, 60, InetAddress.getByName("2001:db8::1"));
        byte[] out = assertInstanceOf(Verdict.Rewrite.class,
                d.judge(udp("2001:db8::53", 53, "2001:db8::10", 40000, response("x.y.tracker.net.", Type.AAAA, aaaa)))).packet();
        assertEquals(List.of("AAAA 2001:db8:0:0:0:0:0:dead"), answers(parsedPayload(out, 0)));
    }

    @Test
    void listedCnameTargetChainIsSinkholed() throws Exception {
        DnsRewriteDiverter d = diverter(BLOCK);
        CNAMERecord cname = new CNAMERecord(Name.fromString("www.shop.example."), DClass.IN, 300, Name.fromString("pixel.tracker.net."));
        CNAMERecord cname2 = new CNAMERecord(Name.fromString("pixel.tracker.net."), DClass.IN, 300, Name.fromString("edge.cdn.example."));
        byte[] dns = response("www.shop.example.", Type.A, cname, cname2, a("edge.cdn.example.", "198.51.100.9"));
        byte[] out = assertInstanceOf(Verdict.Rewrite.class, d.judge(udp("192.0.2.53", 53, "192.0.2.10", 40000, dns))).packet();
        assertEquals(List.of("CNAME pixel.tracker.net.", "CNAME edge.cdn.example.", "A 0.0.0.0"), answers(parsedPayload(out, 0)));
    }

    @Test
    void unlistedNamesAndQueriesPassUntouched() throws Exception {
        DnsRewriteDiverter d = diverter(BLOCK);
        byte[] pkt = udp("192.0.2.53", 53, "192.0.2.10", 40000, response("notads.example.com.", Type.A, a("notads.example.com.", "203.0.113.1")));
        byte[] copy = pkt.clone();
        assertSame(Verdict.PASS, d.judge(pkt));
        assertArrayEquals(copy, pkt);
        byte[] query = Message.newQuery(Record.newRecord(Name.fromString("ads.example.com."), Type.A, DClass.IN)).toWire();
        assertSame(Verdict.PASS, d.judge(udp("192.0.2.53", 53, "192.0.2.10", 40000, query)));
        assertEquals(1, d.count(DnsResponseRewriter.Result.NOT_RESPONSE));
        // Only responses from the DNS port are looked at.
        assertSame(Verdict.PASS, d.judge(udp("192.0.2.53", 5353, "192.0.2.10", 40000,
                response("ads.example.com.", Type.A, a("ads.example.com.", "93.184.216.34")))));
    }

    @Test
    void nxdomainOverUdpShrinksAndKeepsOpt() throws Exception {
        DnsRewriteDiverter d = diverter("diverter \"dns-rewrite\" port 53 { name ads.example.com; action nxdomain }");
        byte[] pkt = udp("192.0.2.53", 53, "192.0.2.10", 40000, response("ads.example.com.", Type.A, a("ads.example.com.", "93.184.216.34")));
        byte[] out = assertInstanceOf(Verdict.Rewrite.class, d.judge(pkt)).packet();
        assertTrue(out.length < pkt.length);
        PacketView v = PacketView.decode(out);
        assertEquals(v.payloadLength() + 8, ((out[24] & 0xff) << 8) | (out[25] & 0xff), "UDP length");
        Message m = parsedPayload(out, 0);
        assertEquals(Rcode.NXDOMAIN, m.getRcode());
        assertEquals(List.of(), answers(m));
        assertEquals(0, m.getSection(Section.AUTHORITY).size());
        assertNotNull(m.getOPT(), "EDNS OPT kept");
        assertEquals("ads.example.com.", m.getQuestion().getName().toString());
    }

    @Test
    void tcpWholeMessageIsRewrittenInPlace() throws Exception {
        DnsRewriteDiverter d = diverter(BLOCK);
        byte[] dns = response("ads.example.com.", Type.A, a("ads.example.com.", "93.184.216.34"));
        byte[] framed = new byte[dns.length + 2];
        framed[0] = (byte) (dns.length >>> 8);
        framed[1] = (byte) dns.length;
        System.arraycopy(dns, 0, framed, 2, dns.length);
        byte[] pkt = tcp("192.0.2.53", 53, "192.0.2.10", 40000, 1, 1, 0x18, framed);
        byte[] out = assertInstanceOf(Verdict.Rewrite.class, d.judge(pkt)).packet();
        assertEquals(pkt.length, out.length);
        assertEquals(List.of("A 0.0.0.0"), answers(parsedPayload(out, 2)));
    }

    @Test
    void tcpNxdomainKeepsLength() throws Exception {
        DnsRewriteDiverter d = diverter("diverter \"dns-rewrite\" port 53 { name ads.example.com; action nxdomain }");
        byte[] dns = response("ads.example.com.", Type.A, a("ads.example.com.", "93.184.216.34"));
        byte[] framed = new byte[dns.length + 2];
        framed[0] = (byte) (dns.length >>> 8);
        framed[1] = (byte) dns.length;
        System.arraycopy(dns, 0, framed, 2, dns.length);
        byte[] out = assertInstanceOf(Verdict.Rewrite.class, d.judge(tcp("192.0.2.53", 53, "192.0.2.10", 40000, 1, 1, 0x18, framed))).packet();
        Message m = parsedPayload(out, 2);
        assertEquals(Rcode.NXDOMAIN, m.getRcode());
        assertEquals(List.of("A 0.0.0.0"), answers(m));
    }

    @Test
    void tcpPartialMessagePasses() throws Exception {
        DnsRewriteDiverter d = diverter(BLOCK);
        byte[] dns = response("ads.example.com.", Type.A, a("ads.example.com.", "93.184.216.34"));
        byte[] framed = new byte[dns.length - 10 + 2];
        framed[0] = (byte) (dns.length >>> 8);
        framed[1] = (byte) dns.length;
        System.arraycopy(dns, 0, framed, 2, dns.length - 10);
        assertSame(Verdict.PASS, d.judge(tcp("192.0.2.53", 53, "192.0.2.10", 40000, 1, 1, 0x18, framed)));
        assertEquals(1, d.partialTcp());
    }

    @Test
    void malformedMessagesAreLeftAlone() throws Exception {
        DnsRewriteDiverter d = diverter(BLOCK);
        byte[] dns = response("ads.example.com.", Type.A, a("ads.example.com.", "93.184.216.34"));
        byte[] cut = Arrays.copyOf(dns, dns.length - 3);
        assertSame(Verdict.PASS, d.judge(udp("192.0.2.53", 53, "192.0.2.10", 40000, cut)));
        // A compression pointer to itself in the question name.
        byte[] loop = {0, 1, (byte) 0x81, (byte) 0x80, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xc0, 12, 0, 1, 0, 1};
        assertSame(Verdict.PASS, d.judge(udp("192.0.2.53", 53, "192.0.2.10", 40000, loop)));
        assertEquals(2, d.count(DnsResponseRewriter.Result.MALFORMED));
    }

    @Test
    void configErrors() {
        var e = assertThrows(DiverterConfigException.class, () -> diverter("diverter \"dns-rewrite\" port 53 { sinkhole 0.0.0.0 }"));
        assertTrue(e.getMessage().contains("no names"), e.getMessage());
        e = assertThrows(DiverterConfigException.class, () -> diverter("diverter \"dns-rewrite\" port 53 {\n name bad..name\n}"));
        assertTrue(e.getMessage().startsWith("test.conf:2: diverter \"dns-rewrite\": name: not a domain rule: \"bad..name\""), e.getMessage());
        e = assertThrows(DiverterConfigException.class, () -> diverter("diverter \"dns-rewrite\" port 53 { name x.com; sinkhole nowhere }"));
        assertTrue(e.getMessage().endsWith("sinkhole: expected an IP address, got \"nowhere\""), e.getMessage());
    }
}
