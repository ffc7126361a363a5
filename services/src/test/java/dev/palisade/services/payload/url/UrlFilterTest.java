package dev.palisade.services.payload.url;

import static dev.palisade.services.payload.Pkts.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.divert.DiverterConfigException;
import dev.palisade.core.divert.DiverterConfigParser;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.PacketView;
import dev.palisade.core.divert.Verdict;
import dev.palisade.core.net.IpAddress;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;

class UrlFilterTest {

    final List<byte[]> injected = new ArrayList<>();

    UrlFilterDiverter filter(String block) {
        return (UrlFilterDiverter) new UrlFilterProvider().create(DiverterConfigParser.parseOne(block, "test.conf"),
                DiverterContext.of(injected::add, Map.of(PrometheusRegistry.class, new PrometheusRegistry())));
    }

    /** The first flight of a real TLS client (the JDK's), asking for {@code sni}. */
    static byte[] clientHello(String sni) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, null, null);
        SSLEngine e = ctx.createSSLEngine(sni, 443);
        e.setUseClientMode(true);
        SSLParameters sp = e.getSSLParameters();
        sp.setServerNames(List.of(new SNIHostName(sni)));
        e.setSSLParameters(sp);
        ByteBuffer out = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
        e.beginHandshake();
        e.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] b = new byte[out.remaining()];
        out.get(b);
        return b;
    }

    @Test
    void realClientHelloSniIsFound() throws Exception {
        byte[] hello = clientHello("Blocked.Example.com");
        assertEquals(22, hello[0]);
        assertEquals(new HostName.Found("blocked.example.com"), ClientHelloSni.parse(hello, 0, hello.length));
        // Every proper prefix is a valid beginning or already holds the name; never an error.
        for (int n = 0; n < hello.length; n++) {
            HostName h = ClientHelloSni.parse(hello, 0, n);
            assertTrue(h instanceof HostName.NeedMore || h instanceof HostName.Found, n + ": " + h);
        }
    }

    @Test
    void clientHelloSplitIntoTlsRecordsIsJoined() throws Exception {
        byte[] hello = clientHello("blocked.example.com");
        int body = hello.length - 5;
        int first = 40;
        byte[] re = new byte[hello.length + 5];
        System.arraycopy(hello, 0, re, 0, 5);
        re[3] = 0;
        re[4] = (byte) first;
        System.arraycopy(hello, 5, re, 5, first);
        re[5 + first] = 22;
        re[6 + first] = hello[1];
        re[7 + first] = hello[2];
        re[8 + first] = (byte) ((body - first) >>> 8);
        re[9 + first] = (byte) (body - first);
        System.arraycopy(hello, 5 + first, re, 10 + first, body - first);
        assertEquals(new HostName.Found("blocked.example.com"), ClientHelloSni.parse(re, 0, re.length));
    }

    @Test
    void tlsToBlockedNameIsDroppedAndTheFlowStaysBlocked() throws Exception {
        UrlFilterDiverter f = filter("diverter \"urlfilter\" port 800 { block example.com }");
        byte[] hello = clientHello("www.example.com");
        assertSame(Verdict.DROP, f.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 443, 1, 1, 0x18, hello)));
        assertSame(Verdict.DROP, f.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 443, 1, 1, 0x18, hello)), "retransmission");
        assertEquals(1, f.decisions("sni", "block"));
        assertSame(Verdict.PASS, f.judge(tcp("10.0.0.1", 40001, "10.0.0.2", 443, 1, 1, 0x18, clientHello("www.example.org"))));
        assertEquals(1, f.decisions("sni", "allow"));
    }

    @Test
    void clientHelloSplitAcrossSegmentsIsJudgedOnTheLaterSegment() throws Exception {
        UrlFilterDiverter f = filter("diverter \"urlfilter\" port 800 { block example.com }");
        byte[] hello = clientHello("www.example.com");
        int cut = 60; // before the SNI extension
        assertSame(Verdict.PASS, f.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 443, 1000, 1, 0x10, Arrays.copyOf(hello, cut))));
        assertSame(Verdict.DROP, f.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 443, 1000 + cut, 1, 0x18,
                Arrays.copyOfRange(hello, cut, hello.length))));
    }

    @Test
    void httpHostIsMatchedAndAllowListWins() {
        UrlFilterDiverter f = filter("diverter \"urlfilter\" port 800 { block example.com; allow =good.example.com; ports 80 }");
        assertSame(Verdict.DROP, f.judge(tcp("10.0.0.1", 1, "10.0.0.2", 80, 1,
                "GET /x HTTP/1.1\r\nUser-Agent: t\r\nhOsT:  Ads.Example.com:8080 \r\n\r\n")));
        assertSame(Verdict.PASS, f.judge(tcp("10.0.0.1", 2, "10.0.0.2", 80, 1, "GET / HTTP/1.1\r\nHost: good.example.com\r\n\r\n")));
        assertSame(Verdict.PASS, f.judge(tcp("10.0.0.1", 3, "10.0.0.2", 8080, 1, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")),
                "port not filtered");
        assertEquals(1, f.decisions("host", "block"));
        assertEquals(1, f.decisions("host", "allow"));
    }

    @Test
    void httpParser() {
        assertEquals(new HostName.Found("a.b"), parse("POST / HTTP/1.1\r\nHost: a.b\r\n\r\n"));
        assertEquals(new HostName.Found("::1"), parse("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"));
        assertEquals(HostName.ABSENT, parse("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n"));
        assertEquals(HostName.NEED_MORE, parse("GET / HTTP/1.1\r\nAccept: */*\r\n"));
        assertEquals(HostName.NEED_MORE, parse("GE"));
        assertInstanceOf(HostName.NotMatched.class, parse("SSH-2.0-OpenSSH_9.6\r\n"));
        assertInstanceOf(HostName.NotMatched.class, parse("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"));
        assertInstanceOf(HostName.NotMatched.class, parse("GET / HTTP/1.1\r\nHost: a.b:x\r\n\r\n"));
    }

    static HostName parse(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return HttpHost.parse(b, 0, b.length);
    }

    @Test
    void rstActionResetsBothWays() {
        UrlFilterDiverter f = filter("diverter \"urlfilter\" port 800 { block example.com; action rst }");
        String req = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
        assertSame(Verdict.DROP, f.judge(tcp("2001:db8::1", 40000, "2001:db8::2", 80, 5000, 9000, 0x18,
                req.getBytes(StandardCharsets.ISO_8859_1))));
        assertEquals(2, injected.size());
        PacketView toClient = PacketView.decode(injected.get(0));
        assertEquals(IpAddress.parse("2001:db8::2"), toClient.src());
        assertEquals(40000, toClient.dstPort());
        assertEquals(9000, toClient.tcpSeq());
        assertEquals(5000 + req.length(), toClient.tcpAck());
        assertTrue((toClient.tcpFlags() & PacketView.RST) != 0);
        assertTrue(toClient.checksumsValid());
        PacketView toServer = PacketView.decode(injected.get(1));
        assertEquals(IpAddress.parse("2001:db8::1"), toServer.src());
        assertEquals(80, toServer.dstPort());
        assertEquals(5000, toServer.tcpSeq());
        assertTrue((toServer.tcpFlags() & PacketView.RST) != 0);
        assertTrue(toServer.checksumsValid());
        // The reset toward the server crosses the queue again on its way in: it must pass, and so
        // must any later bare reset of the blocked direction; data stays dropped.
        assertSame(Verdict.DROP, f.judge(tcp("2001:db8::1", 40000, "2001:db8::2", 80, 5000 + req.length(), 9000, 0x18,
                "more".getBytes(StandardCharsets.ISO_8859_1))));
        assertSame(Verdict.PASS, f.judge(injected.get(1)));
        assertSame(Verdict.DROP, f.judge(tcp("2001:db8::1", 40000, "2001:db8::2", 80, 5000, 9000, 0x18,
                req.getBytes(StandardCharsets.ISO_8859_1))), "a new connection on the same ports is judged again");
    }

    @Test
    void otherProtocolsPassAndDefaultBlockCoversNamelessHellos() {
        UrlFilterDiverter f = filter("diverter \"urlfilter\" port 800 { block x.example }");
        assertSame(Verdict.PASS, f.judge(tcp("10.0.0.1", 1, "10.0.0.2", 22, 1, "SSH-2.0-OpenSSH_9.6\r\n")));
        assertEquals(1, f.undecided("not-http-or-tls"));
        UrlFilterDiverter strict = filter("diverter \"urlfilter\" port 801 { default block; allow ok.example }");
        assertSame(Verdict.DROP, strict.judge(tcp("10.0.0.1", 1, "10.0.0.2", 80, 1, "GET / HTTP/1.0\r\n\r\n")));
        assertSame(Verdict.PASS, strict.judge(tcp("10.0.0.1", 2, "10.0.0.2", 80, 1, "GET / HTTP/1.1\r\nHost: ok.example\r\n\r\n")));
    }

    @Test
    void configErrors() {
        var e = assertThrows(DiverterConfigException.class, () -> filter("diverter \"urlfilter\" port 800 { allow a.com }"));
        assertTrue(e.getMessage().contains("nothing to block"), e.getMessage());
        e = assertThrows(DiverterConfigException.class, () -> filter("diverter \"urlfilter\" port 800 { block a.com; action reject }"));
        assertTrue(e.getMessage().endsWith("action: expected one of drop, rst, got \"reject\""), e.getMessage());
    }
}
