package dev.palisade.services.dnsbl;

import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Verdict;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.table.Origin;
import dev.palisade.services.Await;
import dev.palisade.services.Banner;
import dev.palisade.services.LogCapture;
import dev.palisade.services.MemoryTables;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.StateKiller;
import dev.palisade.services.Syn;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The DNSBL gate against a real unbound serving RFC 5782's test points and error codes. */
class DnsblGateTest {

    static final String V6_LISTED = "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0";
    static Unbound unbound;

    final SeedMetrics metrics = SeedMetrics.unregistered();
    final MemoryTables tables = new MemoryTables("black", "cache");
    final List<IpAddress> killed = new CopyOnWriteArrayList<>();
    final Banner banner = new Banner(tables, (StateKiller) killed::add, metrics, 65536, "dnsbl-test-banner");
    final ExecutorService executor = Executors.newFixedThreadPool(2);
    final LogCapture logs = new LogCapture("palisade.dnsbl");

    @BeforeAll
    static void startUnbound() throws Exception {
        Assumptions.assumeTrue(Unbound.available(), "unbound is not installed (" + Unbound.UNBOUND + "): skipping the DNSBL gate tests");
        unbound = new Unbound(Map.of(
                "test.dnsbl", List.of(
                        "2.0.0.127 A 127.0.0.2",          // RFC 5782 listed test point
                        "3.0.0.127 A 127.255.255.254",    // error code: query refused
                        "4.0.0.127 A 192.0.2.99",         // outside 127/8: parked zone
                        "5.0.0.127 A 127.0.0.1",          // inside 127/8 but not a configured code
                        V6_LISTED + " A 127.0.0.2"),      // RFC 5782 IPv6 test point ::FFFF:7F00:2
                "two.dnsbl", List.of("6.0.0.127 A 127.0.0.10"),
                "refused.dnsbl", List.of("refuse")));
    }

    @AfterAll
    static void stopUnbound() {
        if (unbound != null) unbound.close();
    }

    @AfterEach
    void close() throws InterruptedException {
        gates.forEach(DnsblGate::close);
        banner.close();
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
        logs.close();
    }

    DnsblGate.Config config(InetSocketAddress resolver) {
        return DnsblGate.Config.defaults(8025, "black", "cache", resolver)
                .withZones(List.of("test.dnsbl", "two.dnsbl")).withTimeout(Duration.ofMillis(500));
    }

    final List<DnsblGate> gates = new ArrayList<>();

    DnsblGate gate(DnsblGate.Config c) {
        DnsblGate g = new DnsblGate(c, tables, banner, metrics, Clock.systemUTC(), executor);
        gates.add(g);
        return g;
    }

    static CompletableFuture<Verdict> send(DnsblGate g, String src, int sport) {
        CompletableFuture<Verdict> f = new CompletableFuture<>();
        g.divert(new DivertedPacket(8025, sport, Syn.of(src, sport, src.contains(":") ? "2001:db8::25" : "192.0.2.25", 25), "eth0", null, 0),
                v -> assertTrue(f.complete(v), "one verdict per packet"));
        return f;
    }

    static Verdict get(CompletableFuture<Verdict> f) throws Exception {
        return f.get(5, TimeUnit.SECONDS);
    }

    double lookups(String zone, String result) {
        return metrics.dnsblLookups.labelValues(zone, result).get();
    }

    @Test
    void listedSourceIsDroppedBannedAndLogged() throws Exception {
        DnsblGate g = gate(config(unbound.address()));
        assertEquals(Verdict.DROP, get(send(g, "127.0.0.2", 40000)));
        IpAddress src = IpAddress.parse("127.0.0.2");
        Await.until(Duration.ofSeconds(5), () -> tables.matches("black", src), () -> "banned");
        assertEquals(new Origin.Dnsbl("test.dnsbl", "127.0.0.2"), tables.entry("black", src).origin());
        assertNotNull(tables.entry("black", src).expires(), "black entries have a lifetime by default");
        assertFalse(tables.matches("cache", src));
        assertTrue(logs.lines().contains("DNSBL  127.0.0.2:40000 -> 192.0.2.25:25 [test.dnsbl]"), logs.lines()::toString);
        Await.until(Duration.ofSeconds(5), () -> killed.contains(src), () -> "states killed");
        Await.until(Duration.ofSeconds(5), () -> g.pendingSources() == 0, () -> "pending cleared");
        double before = lookups("test.dnsbl", "listed");
        assertEquals(Verdict.DROP, get(send(g, "127.0.0.2", 40001)));
        assertEquals(before, lookups("test.dnsbl", "listed"), "no second lookup for a banned source");
        assertEquals(1, metrics.dnsblPackets.labelValues("drop", "black").get());
        assertEquals(1, metrics.bans.labelValues("dnsbl").get());
    }

    @Test
    void cleanSourcePassesAndIsCached() throws Exception {
        DnsblGate g = gate(config(unbound.address()));
        assertEquals(Verdict.PASS, get(send(g, "127.0.0.1", 40000)));
        IpAddress src = IpAddress.parse("127.0.0.1");
        Await.until(Duration.ofSeconds(5), () -> tables.matches("cache", src), () -> "cached");
        assertEquals(new Origin.DnsblClean("test.dnsbl two.dnsbl"), tables.entry("cache", src).origin());
        assertFalse(tables.matches("black", src));
        assertTrue(logs.lines().contains("CLEAN  127.0.0.1:40000 -> 192.0.2.25:25"), logs.lines()::toString);
        assertEquals(1, lookups("test.dnsbl", "not_listed"));
        assertEquals(1, lookups("two.dnsbl", "not_listed"));
        assertEquals(Verdict.PASS, get(send(g, "127.0.0.1", 40001)));
        assertEquals(1, lookups("test.dnsbl", "not_listed"), "answered from the cache table");
        assertTrue(killed.isEmpty(), "a clean source's states are left alone");
        assertTrue(metrics.dnsblLatency.collect().getDataPoints().stream()
                .filter(d -> "test.dnsbl".equals(d.getLabels().get("zone"))).mapToLong(d -> d.getCount()).sum() >= 1);
    }

    @Test
    void ipv6TestPoints() throws Exception {
        DnsblGate g = gate(config(unbound.address()));
        assertEquals(Verdict.DROP, get(send(g, "::ffff:7f00:2", 1234)));
        assertEquals(Verdict.PASS, get(send(g, "::ffff:7f00:1", 1235)));
        Await.until(Duration.ofSeconds(5), () -> tables.matches("black", IpAddress.parse("::ffff:7f00:2"))
                && tables.matches("cache", IpAddress.parse("::ffff:7f00:1")), () -> "v6 recorded");
        assertTrue(logs.lines().contains("DNSBL  [::ffff:127.0.0.2]:1234 -> [2001:db8::25]:25 [test.dnsbl]")
                || logs.lines().contains("DNSBL  [::ffff:7f00:2]:1234 -> [2001:db8::25]:25 [test.dnsbl]"), logs.lines()::toString);
    }

    @Test
    void secondZoneListingDrops() throws Exception {
        DnsblGate g = gate(config(unbound.address()));
        assertEquals(Verdict.DROP, get(send(g, "127.0.0.6", 999)));
        Await.until(Duration.ofSeconds(5), () -> tables.matches("black", IpAddress.parse("127.0.0.6")), () -> "banned");
        assertEquals(new Origin.Dnsbl("two.dnsbl", "127.0.0.10"), tables.entry("black", IpAddress.parse("127.0.0.6")).origin());
        assertTrue(logs.lines().contains("DNSBL  127.0.0.6:999 -> 192.0.2.25:25 [two.dnsbl]"), logs.lines()::toString);
    }

    @Test
    void errorCodesBanNobody() throws Exception {
        DnsblGate g = gate(config(unbound.address()));
        assertEquals(Verdict.PASS, get(send(g, "127.0.0.3", 1)), "127.255.255.254 is an error: fail open");
        assertEquals(Verdict.PASS, get(send(g, "127.0.0.4", 2)), "an answer outside 127/8 is an error: fail open");
        assertEquals(Verdict.PASS, get(send(g, "127.0.0.5", 3)), "127.0.0.1 is not a configured code: clean");
        Await.until(Duration.ofSeconds(5), () -> g.pendingSources() == 0 && banner.backlog() == 0, () -> "settled");
        assertEquals(2, lookups("test.dnsbl", "failed"));
        for (String a : List.of("127.0.0.3", "127.0.0.4")) {
            assertFalse(tables.matches("black", IpAddress.parse(a)), a + " not banned");
            assertFalse(tables.matches("cache", IpAddress.parse(a)), a + " not cached");
        }
        assertTrue(tables.matches("cache", IpAddress.parse("127.0.0.5")));
        assertEquals(2, metrics.dnsblPackets.labelValues("pass", "failed").get());

        DnsblGate strict = gate(config(unbound.address()).withDropOnFailure(true));
        assertEquals(Verdict.DROP, get(send(strict, "127.0.0.3", 4)), "drop on failure, still no ban");
        Await.until(Duration.ofSeconds(5), () -> strict.pendingSources() == 0, () -> "settled");
        assertFalse(tables.matches("black", IpAddress.parse("127.0.0.3")));
        assertTrue(killed.isEmpty());
    }

    @Test
    void anErrorRcodeFromOneZoneIsAFailedLookupNotClean() throws Exception {
        DnsblGate g = gate(config(unbound.address()).withZones(List.of("test.dnsbl", "refused.dnsbl")));
        assertEquals(Verdict.PASS, get(send(g, "127.0.0.1", 1)), "fail open");
        Await.until(Duration.ofSeconds(5), () -> g.pendingSources() == 0, () -> "settled");
        assertEquals(1, lookups("test.dnsbl", "not_listed"));
        assertEquals(1, lookups("refused.dnsbl", "failed"));
        assertFalse(tables.matches("cache", IpAddress.parse("127.0.0.1")), "not cached: one zone did not answer");
        assertEquals(1, metrics.dnsblPackets.labelValues("pass", "failed").get());
        // but a listing in the other zone still drops
        assertEquals(Verdict.DROP, get(send(g, "127.0.0.2", 2)));
    }

    @Test
    void servfailIsAFailedLookup() throws Exception {
        DnsblResolver r = new DnsblResolver(unbound.address(), Duration.ofSeconds(1), ReturnCodes.DEFAULT, Runnable::run);
        try {
            org.xbill.DNS.Message m = new org.xbill.DNS.Message();
            m.getHeader().setRcode(org.xbill.DNS.Rcode.SERVFAIL);
            assertEquals(new DnsblAnswer.LookupFailed("z", "SERVFAIL"), r.classify("z", m));
            assertEquals(new DnsblAnswer.LookupFailed("refused.dnsbl", "REFUSED"),
                    r.lookup(IpAddress.parse("127.0.0.2"), "refused.dnsbl").get(5, TimeUnit.SECONDS));
        } finally {
            r.close();
        }
    }

    @Test
    void packetsOfOneSourceShareOneLookup() throws Exception {
        DnsblGate g = gate(config(unbound.address()));
        List<CompletableFuture<Verdict>> fs = new ArrayList<>();
        for (int i = 0; i < 20; i++) fs.add(send(g, "127.0.0.2", 5000 + i));
        for (var f : fs) assertEquals(Verdict.DROP, get(f));
        // The verdicts may complete just before the lookup is counted: wait for the count, then check it is one.
        Await.until(Duration.ofSeconds(5), () -> lookups("test.dnsbl", "listed") >= 1, () -> "the lookup is counted");
        assertEquals(1, lookups("test.dnsbl", "listed"), () -> "one query for 20 packets; packets: " + metrics.dnsblPackets.collect().getDataPoints().stream()
                .map(d -> d.getLabels() + "=" + d.getValue()).toList() + " logs " + logs.lines() + " tables " + tables.addCalls);
        Await.until(Duration.ofSeconds(5), () -> lookups("two.dnsbl", "not_listed") == 1, () -> "zone two asked once");
        assertEquals(1, logs.lines().stream().filter(l -> l.startsWith("DNSBL")).count());
    }

    @Test
    void silentResolverDoesNotStallBeyondTheTimeout() throws Exception {
        try (DatagramSocket blackHole = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            DnsblGate g = gate(config((InetSocketAddress) blackHole.getLocalSocketAddress()).withTimeout(Duration.ofMillis(300)));
            long t0 = System.nanoTime();
            List<CompletableFuture<Verdict>> fs = List.of(send(g, "198.51.100.1", 1), send(g, "198.51.100.1", 2), send(g, "198.51.100.2", 3));
            for (var f : fs) assertEquals(Verdict.PASS, get(f), "fail open");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 250 && ms < 300 + 700, "verdicts after the 300 ms timeout, took " + ms + " ms");
            Await.until(Duration.ofSeconds(5), () -> g.pendingSources() == 0, () -> "settled");
            assertEquals(0, tables.size("cache"), "failures are not cached");
            assertEquals(0, tables.size("black"));
            assertEquals(2, lookups("test.dnsbl", "failed"));
        }
    }

    @Test
    void deadResolverFailsFastAndTheZoneIsBackedOff() throws Exception {
        int dead = Unbound.freePort();
        DnsblGate g = gate(config(new InetSocketAddress(InetAddress.getLoopbackAddress(), dead)).withTimeout(Duration.ofMillis(300)));
        for (int i = 1; i <= 5; i++) {
            assertEquals(Verdict.PASS, get(send(g, "198.51.100." + i, i)));
            Await.until(Duration.ofSeconds(5), () -> g.pendingSources() == 0, () -> "settled");
        }
        assertTrue(g.backedOff("test.dnsbl"), "zone backed off after 5 failures");
        assertEquals(1, metrics.dnsblZoneBackedOff.labelValues("test.dnsbl").get(), "reported as a metric");
        assertTrue(logs.lines().stream().anyMatch(l -> l.startsWith("dnsbl zone test.dnsbl failing: 5 consecutive failures")), logs.lines()::toString);
        long t0 = System.nanoTime();
        assertEquals(Verdict.PASS, get(send(g, "198.51.100.9", 9)));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 250, "a backed-off zone answers at once");
        assertEquals(1, lookups("test.dnsbl", "backed_off"));
    }

    @Test
    void waitingPacketsAreBounded() throws Exception {
        try (DatagramSocket blackHole = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            DnsblGate g = gate(config((InetSocketAddress) blackHole.getLocalSocketAddress())
                    .withTimeout(Duration.ofMillis(500)).withBounds(2, 3, 2));
            List<CompletableFuture<Verdict>> a = new ArrayList<>();
            for (int i = 0; i < 5; i++) a.add(send(g, "198.51.100.1", i));
            assertEquals(3, a.stream().filter(CompletableFuture::isDone).count(), "3 over the per-source bound answered at once");
            assertEquals(2, g.waitingPackets());
            CompletableFuture<Verdict> b = send(g, "198.51.100.2", 10);
            assertFalse(b.isDone(), "a second source may wait");
            assertTrue(send(g, "198.51.100.2", 11).isDone(), "over the total bound: answered at once");
            assertTrue(send(g, "198.51.100.3", 12).isDone(), "over the pending-sources bound: answered at once");
            for (var f : a) assertEquals(Verdict.PASS, get(f));
            assertEquals(Verdict.PASS, get(b));
            Await.until(Duration.ofSeconds(5), () -> g.waitingPackets() == 0 && g.pendingSources() == 0, () -> "drained");
            assertEquals(5, metrics.dnsblPackets.labelValues("pass", "overflow").get());
        }
    }
}
