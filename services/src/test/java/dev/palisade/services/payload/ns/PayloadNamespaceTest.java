package dev.palisade.services.payload.ns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.DiverterConfigParser;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.Verdict;
import dev.palisade.kernel.divert.QueueFeatures;
import dev.palisade.kernel.nfqueue.NfQueueReader;
import dev.palisade.services.Await;
import dev.palisade.services.payload.DiverterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The built-in payload diverters on real traffic: a client in namespace
 * {@code a} talks to a server in namespace {@code b}; an iptables NFQUEUE
 * rule in {@code b} hands the packets to an {@link NfQueueReader} driving a
 * diverter made from a palisade.conf block by the {@link DiverterRegistry}.
 * Needs root, ip, iptables with the NFQUEUE target (plus unbound, curl and
 * openssl for their tests); skips otherwise.
 */
class PayloadNamespaceTest {

    static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    final PrometheusRegistry registry = new PrometheusRegistry();
    final DiverterContext context = DiverterContext.of(p -> {}, Map.of(PrometheusRegistry.class, registry));

    /** The diverter a palisade.conf block describes, made by the built-in registry. */
    Diverter fromConfig(String block) throws IOException {
        try (DiverterRegistry r = DiverterRegistry.builtIn()) {
            var all = r.createAll(DiverterConfigParser.parse(block, "palisade.conf"), context);
            assertEquals(1, all.size(), block);
            return all.values().iterator().next();
        }
    }

    static void assumeQueue(NsPair ns) throws Exception {
        Assumptions.assumeTrue(QueueFeatures.xtNfqueue(ns.b), "kernel lacks the xt NFQUEUE target; skipped");
    }

    /** Wraps a diverter and keeps every rewritten packet it answers, to check their checksums. */
    static final class Recording implements Diverter {
        final Diverter inner;
        final List<byte[]> rewritten = new CopyOnWriteArrayList<>();

        Recording(Diverter inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public void divert(DivertedPacket p, Consumer<Verdict> verdict) {
            inner.divert(p, v -> {
                if (v instanceof Verdict.Rewrite(byte[] b)) rewritten.add(b.clone());
                verdict.accept(v);
            });
        }
    }

    // ---------------------------------------------------------------- redact

    @Test
    void redactMasksCardNumbersInALiveTcpConnection() throws Exception {
        redactOverTcp(false);
    }

    @Test
    void redactMasksCardNumbersInALiveTcpConnectionOverIpv6() throws Exception {
        redactOverTcp(true);
    }

    /**
     * On a router's forward path: the rewritten packets leave through
     * another veth, so a super-packet (GSO) the queue rewrote is segmented
     * on the way out, with checksums computed there.
     */
    @Test
    void redactMasksCardNumbersOnARoutersForwardPath() throws Exception {
        redactOverTcp(false, true);
    }

    @Test
    void redactMasksCardNumbersOnARoutersForwardPathOverIpv6() throws Exception {
        redactOverTcp(true, true);
    }

    void redactOverTcp(boolean v6) throws Exception {
        redactOverTcp(v6, false);
    }

    void redactOverTcp(boolean v6, boolean routed) throws Exception {
        try (NsPair ns = routed ? NsPair.routed(v6 ? "ip6tables" : "iptables") : NsPair.create(v6 ? "ip6tables" : "iptables")) {
            assumeQueue(ns);
            int port = 7100, queue = 71;
            String server4or6 = v6 ? ns.b6 : ns.b4;
            String queueNs = routed ? ns.r : ns.b;
            ns.exec(queueNs, v6 ? "ip6tables" : "iptables", "-w", "-A", routed ? "FORWARD" : "INPUT", "-p", "tcp", "--dport", "" + port,
                    "-j", "NFQUEUE", "--queue-num", "" + queue);
            Recording redact = new Recording(fromConfig("diverter \"redact\" port " + queue + " {\n  pattern card mask\n  carry 64\n}\n"));
            try (NfQueueReader reader = NfQueueReader.start(queue, redact, NfQueueReader.Options.DEFAULT, queueNs);
                 ServerSocket server = ns.in(ns.b, () -> new ServerSocket(port, 5, InetAddress.getByName(server4or6)));
                 Socket client = ns.in(ns.a, () -> new Socket(server4or6, port));
                 Socket conn = server.accept()) {
                conn.setSoTimeout((int) DEADLINE.toMillis());
                client.setSoTimeout((int) DEADLINE.toMillis());
                client.setTcpNoDelay(true);
                OutputStream out = client.getOutputStream();
                InputStream in = conn.getInputStream();

                // Each send is read whole before the next, so each is its own segment (or GSO train).
                List<String[]> steps = new ArrayList<>();
                steps.add(new String[] {"card 4111 1111 1111 1111\n", "card XXXXXXXXXXXXXXXXXXX\n"});
                Random rnd = new Random(7);
                for (int size : new int[] {1, 100, 1400, 3000, 30000}) {
                    String s = letters(rnd, size);
                    steps.add(new String[] {s, s});
                }
                String pad = letters(rnd, 2000);
                steps.add(new String[] {pad + " 5500-0000-0000-0004 " + pad, pad + " XXXXXXXXXXXXXXXXXXX " + pad});
                // The documented split case: the first half has passed before the match completes.
                steps.add(new String[] {"card 4111 1111", "card 4111 1111"});
                steps.add(new String[] {" 1111 1111 end", "XXXXXXXXXX end"});
                steps.add(new String[] {"order 12345 of 2024-01-01 shipped", "order 12345 of 2024-01-01 shipped"});
                for (String[] step : steps) {
                    out.write(step[0].getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    byte[] got = in.readNBytes(step[1].length());
                    assertArrayEquals(step[1].getBytes(StandardCharsets.ISO_8859_1), got,
                            () -> "server received " + abbreviate(new String(got, StandardCharsets.ISO_8859_1)));
                }
                // And the other direction still works on the same connection.
                conn.getOutputStream().write("thanks".getBytes(StandardCharsets.US_ASCII));
                assertEquals("thanks", new String(client.getInputStream().readNBytes(6), StandardCharsets.US_ASCII));

                assertTrue(redact.rewritten.size() >= 3, "three segments masked: " + redact.rewritten.size());
                for (byte[] p : redact.rewritten) assertChecksumsValid(p);
                assertEquals(0, reader.errors(), "reader errors");
                Map<String, Double> m = scrape(registry);
                assertEquals(3.0, m.get("palisade_redact_matches{action=\"mask\",pattern=\"card\",port=\"" + queue + "\"}"), m.toString());
                assertEquals(1.0, m.get("palisade_redact_spanning_matches{pattern=\"card\",port=\"" + queue + "\"}"), m.toString());
                assertEquals(48.0, m.get("palisade_redact_masked_bytes{port=\"" + queue + "\"}"), m.toString());
            }
        }
    }

    // ----------------------------------------------------------- dns-rewrite

    @Test
    void dnsRewriteSinkholesAndNxdomainsAnswersOfARealDnsServer() throws Exception {
        try (NsPair ns = NsPair.create("unbound")) {
            assumeQueue(ns);
            int sinkPort = 5301, nxPort = 5302, qSink = 72, qNx = 73;
            Path conf = tmp.resolve("unbound.conf");
            Files.writeString(conf, """
                    server:
                      verbosity: 1
                      interface: %1$s@%2$d
                      interface: %1$s@%3$d
                      do-ip6: no
                      do-daemonize: no
                      use-syslog: no
                      logfile: ""
                      username: ""
                      chroot: ""
                      directory: "%4$s"
                      pidfile: "%4$s/unbound.pid"
                      num-threads: 1
                      so-reuseport: no
                      module-config: "iterator"
                      access-control: 0.0.0.0/0 allow
                      local-zone: "example." static
                      local-data: "ads.example. 300 IN A 192.0.2.10"
                      local-data: "ok.example. 300 IN A 192.0.2.20"
                      local-data: "gone.example. 300 IN A 192.0.2.30"
                    remote-control:
                      control-enable: no
                    """.formatted(ns.b4, sinkPort, nxPort, tmp));
            Process unbound = ns.spawn(ns.b, tmp.resolve("unbound.log"), "unbound", "-d", "-c", conf.toString());
            ns.exec(ns.b, "iptables", "-w", "-A", "OUTPUT", "-p", "udp", "--sport", "" + sinkPort, "-j", "NFQUEUE", "--queue-num", "" + qSink);
            ns.exec(ns.b, "iptables", "-w", "-A", "OUTPUT", "-p", "udp", "--sport", "" + nxPort, "-j", "NFQUEUE", "--queue-num", "" + qNx);
            ns.exec(ns.b, "iptables", "-w", "-A", "OUTPUT", "-p", "tcp", "--sport", "" + sinkPort, "-j", "NFQUEUE", "--queue-num", "" + qSink);
            Recording sink = new Recording(fromConfig("""
                    diverter "dns-rewrite" port %d {
                        name ads.example
                        sinkhole 10.66.66.66
                        ttl 60
                        dns-port %d
                    }
                    """.formatted(qSink, sinkPort)));
            Recording nx = new Recording(fromConfig("""
                    diverter "dns-rewrite" port %d { name =gone.example; action nxdomain; dns-port %d }
                    """.formatted(qNx, nxPort)));
            try (NfQueueReader r1 = NfQueueReader.start(qSink, sink, NfQueueReader.Options.DEFAULT, ns.b);
                 NfQueueReader r2 = NfQueueReader.start(qNx, nx, NfQueueReader.Options.DEFAULT, ns.b);
                 DatagramSocket client = ns.in(ns.a, () -> new DatagramSocket(0))) {
                client.setSoTimeout(200);
                // unbound takes a moment to start: ask until it answers, within the deadline.
                Message ok = query(client, ns.b4, sinkPort, "ok.example.", unbound);
                assertEquals(Rcode.NOERROR, ok.getRcode());
                assertEquals(List.of("192.0.2.20"), addresses(ok), "an unlisted name is untouched");

                int sentBefore = SENT.get();
                Message ads = query(client, ns.b4, sinkPort, "ads.example.", unbound);
                int adsSends = SENT.get() - sentBefore; // a retransmission on a slow machine is answered and rewritten too
                assertEquals(Rcode.NOERROR, ads.getRcode());
                assertEquals(List.of("10.66.66.66"), addresses(ads), "a listed name gets the sinkhole");
                assertEquals(60, ads.getSection(Section.ANSWER).getFirst().getTTL(), "the configured TTL");

                sentBefore = SENT.get();
                Message gone = query(client, ns.b4, nxPort, "gone.example.", unbound);
                int goneSends = SENT.get() - sentBefore;
                assertEquals(Rcode.NXDOMAIN, gone.getRcode(), gone.toString());
                assertTrue(gone.getSection(Section.ANSWER).isEmpty(), gone.toString());
                Message ok2 = query(client, ns.b4, nxPort, "ok.example.", unbound);
                assertEquals(List.of("192.0.2.20"), addresses(ok2), "nxdomain leaves unlisted names alone");

                // DNS over TCP: unbound writes each answer, with its length, in one segment.
                Message adsTcp = tcpQuery(ns, ns.b4, sinkPort, "ads.example.");
                assertEquals(List.of("10.66.66.66"), addresses(adsTcp), "sinkholed over TCP too");
                Message okTcp = tcpQuery(ns, ns.b4, sinkPort, "ok.example.");
                assertEquals(List.of("192.0.2.20"), addresses(okTcp), "unlisted over TCP");

                for (byte[] p : sink.rewritten) assertChecksumsValid(p);
                for (byte[] p : nx.rewritten) assertChecksumsValid(p);
                assertEquals(0, r1.errors() + r2.errors(), "reader errors");
                Map<String, Double> m = scrape(registry);
                double sinkholed = m.get("palisade_dns_rewrite_messages{port=\"" + qSink + "\",result=\"sinkholed\"}");
                assertTrue(sinkholed >= 2 && sinkholed <= 1 + adsSends, "the UDP answer(s) and the TCP one: " + m);
                assertEquals(0.0, m.getOrDefault("palisade_dns_rewrite_messages{port=\"" + qSink + "\",result=\"partial_tcp\"}", 0.0), m.toString());
                assertEquals(0.0, m.getOrDefault("palisade_dns_rewrite_messages{port=\"" + qSink + "\",result=\"malformed\"}", 0.0), m.toString());
                double nxd = m.get("palisade_dns_rewrite_messages{port=\"" + qNx + "\",result=\"nxdomain\"}");
                assertTrue(nxd >= 1 && nxd <= goneSends, "one per query sent: " + m);
                assertTrue(m.getOrDefault("palisade_dns_rewrite_messages{port=\"" + qSink + "\",result=\"unchanged\"}", 0.0) >= 1, m.toString());
            }
        }
    }

    /** Queries {@link #query} has sent (with its retransmissions). */
    static final java.util.concurrent.atomic.AtomicInteger SENT = new java.util.concurrent.atomic.AtomicInteger();

    static Message query(DatagramSocket s, String server, int port, String name, Process unbound) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
        byte[] wire = q.toWire();
        long end = System.nanoTime() + DEADLINE.toNanos();
        byte[] buf = new byte[1500];
        while (System.nanoTime() < end) {
            if (!unbound.isAlive()) throw new AssertionError("unbound exited with " + unbound.exitValue() + "; see its log");
            s.send(new DatagramPacket(wire, wire.length, InetAddress.getByName(server), port));
            SENT.incrementAndGet();
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                continue;
            }
            Message m = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
            if (m.getHeader().getID() == q.getHeader().getID()) return m;
        }
        throw new AssertionError("no answer for " + name + " from " + server + ":" + port + " within " + DEADLINE);
    }

    /** One query over TCP from namespace a: the 2-byte length, the message; the answer read the same way. */
    static Message tcpQuery(NsPair ns, String server, int port, String name) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
        byte[] wire = q.toWire();
        try (Socket s = ns.in(ns.a, () -> {
            Socket c = new Socket();
            c.connect(new InetSocketAddress(server, port), (int) DEADLINE.toMillis());
            return c;
        })) {
            s.setSoTimeout((int) DEADLINE.toMillis());
            byte[] framed = new byte[wire.length + 2];
            framed[0] = (byte) (wire.length >>> 8);
            framed[1] = (byte) wire.length;
            System.arraycopy(wire, 0, framed, 2, wire.length);
            s.getOutputStream().write(framed);
            byte[] len = s.getInputStream().readNBytes(2);
            assertEquals(2, len.length, "answer length over TCP");
            byte[] msg = s.getInputStream().readNBytes(((len[0] & 0xff) << 8) | (len[1] & 0xff));
            Message m = new Message(msg);
            assertEquals(q.getHeader().getID(), m.getHeader().getID());
            return m;
        }
    }

    static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream()
                .filter(r -> r instanceof ARecord).map(r -> ((ARecord) r).getAddress().getHostAddress()).toList();
    }

    // ------------------------------------------------------------- urlfilter

    @Test
    void urlfilterBlocksByHttpHostAndTlsSni() throws Exception {
        try (NsPair ns = NsPair.create("curl", "openssl")) {
            assumeQueue(ns);
            int http = 8080, https = 8443, queue = 74;
            for (int p : new int[] {http, https}) {
                ns.exec(ns.b, "iptables", "-w", "-A", "INPUT", "-p", "tcp", "--dport", "" + p, "-j", "NFQUEUE", "--queue-num", "" + queue);
            }
            Path key = tmp.resolve("key.pem"), cert = tmp.resolve("cert.pem");
            NsPair.sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", key.toString(), "-out", cert.toString());
            Process sServer = ns.spawn(ns.b, tmp.resolve("s_server.log"), "openssl", "s_server", "-accept", ns.b4 + ":" + https,
                    "-cert", cert.toString(), "-key", key.toString(), "-www", "-quiet");
            Diverter filter = fromConfig("""
                    diverter "urlfilter" port %d {
                        block blocked.example
                        allow =ok.example
                        action drop
                        ports %d %d
                    }
                    """.formatted(queue, http, https));
            HttpServer web = ns.in(ns.b, () -> HttpServer.create(new InetSocketAddress(ns.b4, http), 5));
            web.createContext("/", ex -> {
                byte[] body = ("hello " + ex.getRequestHeaders().getFirst("Host")).getBytes(StandardCharsets.US_ASCII);
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(body);
                }
            });
            web.start();
            try (NfQueueReader reader = NfQueueReader.start(queue, filter, NfQueueReader.Options.DEFAULT, ns.b)) {
                String base = "http://" + ns.b4 + ":" + http + "/";
                NsPair.Result ok = curl(ns, "-H", "Host: ok.example", base);
                assertEquals(0, ok.exit(), ok.output());
                assertEquals("hello ok.example", ok.output().trim());
                NsPair.Result blocked = curl(ns, "-H", "Host: blocked.example", base);
                assertEquals(28, blocked.exit(), "action drop: curl times out: " + blocked.output());
                NsPair.Result sub = curl(ns, "-H", "Host: www.blocked.example", base);
                assertEquals(28, sub.exit(), "suffix rule: " + sub.output());

                Await.until(DEADLINE, () -> sServer.isAlive() && canConnect(ns, https), () -> "openssl s_server listening");
                String tlsOk = "https://ok.example:" + https + "/";
                NsPair.Result tls = curl(ns, "-k", "--resolve", "ok.example:" + https + ":" + ns.b4, tlsOk);
                assertEquals(0, tls.exit(), tls.output());
                assertTrue(tls.output().contains("s_server"), tls.output());
                NsPair.Result tlsBlocked = curl(ns, "-k", "--resolve", "blocked.example:" + https + ":" + ns.b4,
                        "https://blocked.example:" + https + "/");
                assertEquals(28, tlsBlocked.exit(), "SNI blocked: " + tlsBlocked.output());

                assertEquals(0, reader.errors(), "reader errors");
                Map<String, Double> m = scrape(registry);
                assertEquals(2.0, m.get("palisade_urlfilter_decisions{action=\"block\",port=\"" + queue + "\",via=\"host\"}"), m.toString());
                assertEquals(1.0, m.get("palisade_urlfilter_decisions{action=\"block\",port=\"" + queue + "\",via=\"sni\"}"), m.toString());
                assertEquals(1.0, m.get("palisade_urlfilter_decisions{action=\"allow\",port=\"" + queue + "\",via=\"sni\"}"), m.toString());
                assertEquals(1.0, m.get("palisade_urlfilter_decisions{action=\"allow\",port=\"" + queue + "\",via=\"host\"}"), m.toString());
            } finally {
                web.stop(0);
            }
        }
    }

    /**
     * {@code action rst}: the request is dropped and both ends get a reset
     * (sent by a raw socket in b, as palisaded's injector does): curl fails
     * at once with "connection reset", and the server's read fails too.
     */
    @Test
    void urlfilterResetsBothEndsOfABlockedConnection() throws Exception {
        try (NsPair ns = NsPair.create("curl")) {
            assumeQueue(ns);
            int http = 8081, queue = 76;
            ns.exec(ns.b, "iptables", "-w", "-A", "INPUT", "-p", "tcp", "--dport", "" + http, "-j", "NFQUEUE", "--queue-num", "" + queue);
            try (RawInjector raw = RawInjector.in(ns, ns.b)) {
                DiverterContext withRaw = DiverterContext.of(raw::inject, Map.of(PrometheusRegistry.class, registry));
                Diverter filter;
                try (DiverterRegistry r = DiverterRegistry.builtIn()) {
                    filter = r.create(DiverterConfigParser.parseOne(
                            "diverter \"urlfilter\" port " + queue + " { block blocked.example; action rst }", "palisade.conf"), withRaw);
                }
                try (NfQueueReader reader = NfQueueReader.start(queue, filter, NfQueueReader.Options.DEFAULT, ns.b);
                     ServerSocket server = ns.in(ns.b, () -> new ServerSocket(http, 5, InetAddress.getByName(ns.b4)))) {
                    server.setSoTimeout((int) DEADLINE.toMillis());
                    var serverSaw = new java.util.concurrent.CompletableFuture<String>();
                    Thread.ofPlatform().name("reset-server").start(() -> {
                        try (Socket c = server.accept()) {
                            c.setSoTimeout((int) DEADLINE.toMillis());
                            int b = c.getInputStream().read();
                            serverSaw.complete("read " + b);
                        } catch (IOException e) {
                            serverSaw.complete("failed: " + e.getMessage());
                        }
                    });
                    long t0 = System.nanoTime();
                    NsPair.Result blocked = NsPair.run(ns.a, 20, "curl", "-sS", "--max-time", "5", "-H", "Host: blocked.example",
                            "http://" + ns.b4 + ":" + http + "/");
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    assertEquals(56, blocked.exit(), "curl: connection reset expected: " + blocked.output());
                    assertTrue(ms < 4000, "reset, not a timeout: " + ms + " ms");
                    String saw = serverSaw.get(2 * DEADLINE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    assertTrue(saw.startsWith("failed") && saw.toLowerCase(java.util.Locale.ROOT).contains("reset"),
                            "the server's side was reset too: " + saw);
                    assertEquals(2, raw.sent.get(), "two resets injected");
                    assertEquals(0, raw.failed.get(), "injection failures");
                    assertEquals(0, reader.errors(), "reader errors");
                }
            }
        }
    }

    /** curl from namespace a with a 2 s bound; body to stdout; exit 28 is curl's timeout. */
    static NsPair.Result curl(NsPair ns, String... args) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("curl", "-sS", "--max-time", "2"));
        c.addAll(List.of(args));
        return NsPair.run(ns.a, 20, c.toArray(String[]::new));
    }

    static boolean canConnect(NsPair ns, int port) {
        try {
            return ns.in(ns.a, () -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(ns.b4, port), 500);
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (Exception e) {
            return false;
        }
    }

    // ----------------------------------------------------------------- stats

    /**
     * stats in the client's namespace, queued on OUTPUT and INPUT (both
     * directions of a TCP connection, handshake and close included): the
     * counters match, packet for packet and byte for byte, what the queue
     * delivered.
     */
    @Test
    void statsCountsBothDirectionsOfARealFlow() throws Exception {
        try (NsPair ns = NsPair.create()) {
            assumeQueue(ns);
            int port = 7200, qStats = 75;
            for (String chain : new String[] {"OUTPUT", "INPUT"}) {
                ns.exec(ns.a, "iptables", "-w", "-A", chain, "-p", "tcp", "-j", "NFQUEUE", "--queue-num", "" + qStats);
            }
            Diverter stats = fromConfig("diverter \"stats\" port " + qStats + " { flows 64; top-talkers 4; export-flows 4 }");
            long[] seenBytes = new long[1];
            long[] seenPackets = new long[1];
            Diverter counting = new Diverter() {
                public String name() {
                    return stats.name();
                }

                public void divert(DivertedPacket p, Consumer<Verdict> v) {
                    synchronized (seenBytes) {
                        seenBytes[0] += p.data().length;
                        seenPackets[0]++;
                    }
                    stats.divert(p, v);
                }
            };
            try (NfQueueReader reader = NfQueueReader.start(qStats, counting, NfQueueReader.Options.DEFAULT, ns.a);
                 ServerSocket server = ns.in(ns.b, () -> new ServerSocket(port, 5, InetAddress.getByName(ns.b4)));
                 Socket client = ns.in(ns.a, () -> new Socket(ns.b4, port));
                 Socket conn = server.accept()) {
                conn.setSoTimeout((int) DEADLINE.toMillis());
                client.setSoTimeout((int) DEADLINE.toMillis());
                byte[] up = letters(new Random(3), 5000).getBytes(StandardCharsets.US_ASCII);
                byte[] down = letters(new Random(4), 20000).getBytes(StandardCharsets.US_ASCII);
                client.getOutputStream().write(up);
                assertArrayEquals(up, conn.getInputStream().readNBytes(up.length));
                conn.getOutputStream().write(down);
                assertArrayEquals(down, client.getInputStream().readNBytes(down.length));
                client.close();
                conn.close();
                // The close (FIN, ACK) is still crossing the queue: wait until a scrape agrees with what the
                // queue delivered, both read while no packet arrived in between.
                String p = "port=\"" + qStats + "\"";
                List<Map<String, Double>> last = new ArrayList<>(List.of(Map.of()));
                double[] packetsBytes = new double[2];
                Await.until(DEADLINE, () -> {
                    long before;
                    synchronized (seenBytes) {
                        before = seenPackets[0];
                    }
                    Map<String, Double> now = scrape(registry);
                    synchronized (seenBytes) {
                        last.set(0, now);
                        packetsBytes[0] = seenPackets[0];
                        packetsBytes[1] = seenBytes[0];
                        return before == seenPackets[0] && reader.outstanding() == 0
                                && Double.valueOf(seenPackets[0]).equals(now.get("palisade_stats_packets{" + p + "}"));
                    }
                }, () -> "stats to count what the queue delivered: " + packetsBytes[0] + " packets; scraped " + last.getFirst());
                Map<String, Double> m = last.getFirst();
                double packets = packetsBytes[0], bytes = packetsBytes[1];
                assertEquals(packets, m.get("palisade_stats_packets{" + p + "}"), m.toString());
                assertEquals(bytes, m.get("palisade_stats_bytes{" + p + "}"), m.toString());
                assertTrue(bytes > up.length + down.length, "whole IP packets counted: " + bytes);
                assertEquals(packets, m.get("palisade_stats_port_packets{" + p + ",proto=\"tcp\",service_port=\"" + port + "\"}"),
                        "both directions under the service port: " + m);
                assertTrue(m.get("palisade_stats_top_talker_bytes{address=\"" + ns.b4 + "\"," + p + "}") >= down.length, m.toString());
                assertTrue(m.get("palisade_stats_top_talker_bytes{address=\"" + ns.a4 + "\"," + p + "}") >= up.length, m.toString());
                assertEquals(0, reader.errors(), "reader errors");
            }
        }
    }

    // --------------------------------------------------------------- helpers

    static String letters(Random rnd, int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) b.append((char) ('a' + rnd.nextInt(26)));
        return b.toString();
    }

    static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 60) + "..." + s.substring(s.length() - 60) + " (" + s.length() + " bytes)";
    }

    /** Every counter and gauge data point as {@code name{labels}} to its value. */
    static Map<String, Double> scrape(PrometheusRegistry reg) {
        Map<String, Double> series = new HashMap<>();
        for (var snap : reg.scrape()) {
            for (var dp : snap.getDataPoints()) {
                double v = dp instanceof CounterSnapshot.CounterDataPointSnapshot c ? c.getValue()
                        : dp instanceof GaugeSnapshot.GaugeDataPointSnapshot g ? g.getValue() : Double.NaN;
                series.put(snap.getMetadata().getName() + dp.getLabels(), v);
            }
        }
        return series;
    }

    /** Checks the IPv4 header checksum and the TCP or UDP checksum of a whole packet, computed from scratch. */
    static void assertChecksumsValid(byte[] p) {
        if ((p[0] & 0xff) >>> 4 == 6) {
            int len = ((p[4] & 0xff) << 8) | (p[5] & 0xff);
            assertEquals(p.length, 40 + len, "IPv6 payload length");
            int next = p[6] & 0xff;
            assertTrue(next == 6 || next == 17, "TCP or UDP right after the IPv6 header: " + next);
            assertEquals(0xffff, fold(sum(p, 40, len, sum(p, 8, 32, 0) + next + len)), "IPv6 " + (next == 6 ? "TCP" : "UDP") + " checksum");
            return;
        }
        assertEquals(4, (p[0] & 0xff) >>> 4, "IPv4 or IPv6 expected");
        int ihl = (p[0] & 0x0f) * 4;
        int total = ((p[2] & 0xff) << 8) | (p[3] & 0xff);
        assertEquals(p.length, total, "IP total length");
        assertEquals(0xffff, fold(sum(p, 0, ihl, 0)), "IPv4 header checksum");
        int proto = p[9] & 0xff;
        assertTrue(proto == 6 || proto == 17, "TCP or UDP: " + proto);
        int len = total - ihl;
        long pseudo = sum(p, 12, 8, 0) + proto + len;
        if (proto == 17 && p[ihl + 6] == 0 && p[ihl + 7] == 0) return;
        assertEquals(0xffff, fold(sum(p, ihl, len, pseudo)), (proto == 6 ? "TCP" : "UDP") + " checksum");
    }

    static long sum(byte[] b, int off, int len, long acc) {
        for (int i = 0; i + 1 < len; i += 2) acc += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        if ((len & 1) != 0) acc += (b[off + len - 1] & 0xff) << 8;
        return acc;
    }

    static int fold(long s) {
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }
}
