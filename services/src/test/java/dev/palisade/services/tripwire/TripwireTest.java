package dev.palisade.services.tripwire;

import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Verdict;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.table.Origin;
import dev.palisade.services.Await;
import dev.palisade.services.Banner;
import dev.palisade.services.LogCapture;
import dev.palisade.services.MemoryTables;
import dev.palisade.services.PacketFields;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.StateKiller;
import dev.palisade.services.Syn;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TripwireTest {

    static final Duration DEADLINE = Duration.ofSeconds(5);
    final Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    final SeedMetrics metrics = SeedMetrics.unregistered();
    final List<IpAddress> killed = new CopyOnWriteArrayList<>();
    final StateKiller killer = killed::add;
    MemoryTables tables = new MemoryTables("bofh");
    Banner banner = new Banner(tables, killer, metrics, 1024, "test-banner");
    final LogCapture logs = new LogCapture("palisade.tripwire");

    @AfterEach
    void close() {
        banner.close();
        logs.close();
    }

    Verdict divert(Tripwire t, byte[] packet) {
        AtomicReference<Verdict> v = new AtomicReference<>();
        t.divert(new DivertedPacket(7000, 1, packet, "eth0", null, 0), x -> assertNull(v.getAndSet(x), "two verdicts"));
        assertNotNull(v.get(), "the tripwire answers at once");
        return v.get();
    }

    double count(String result) {
        return metrics.tripwirePackets.labelValues(result).get();
    }

    @Test
    void ipv4SynIsDroppedBannedLoggedAndItsStatesKilled() {
        Tripwire t = new Tripwire(new Tripwire.Config(7000, "bofh", Duration.ofHours(1), false), tables, banner, metrics, clock);
        assertEquals(Verdict.DROP, divert(t, Syn.of("198.51.100.7", 40123, "192.0.2.1", 23)));
        IpAddress src = IpAddress.parse("198.51.100.7");
        Await.until(DEADLINE, () -> logs.lines().contains("198.51.100.7:40123 -> 192.0.2.1:23"), () -> "log line, got " + logs.lines());
        MemoryTables.Entry e = tables.entry("bofh", src);
        assertNotNull(e, "source banned");
        assertEquals(Instant.parse("2026-01-01T01:00:00Z"), e.expires());
        assertEquals(new Origin.Tripwire(7000), e.origin());
        assertEquals(List.of(src), killed);
        assertEquals(1, count("banned"));
        assertEquals(1, metrics.bans.labelValues("tripwire").get());
        assertTrue(logs.events().getFirst().getMarkerList().contains(Tripwire.NOTICE), "notice marker");
    }

    @Test
    void ipv6SynIsBannedAndLoggedWithBrackets() {
        Tripwire t = new Tripwire(new Tripwire.Config(7000, "bofh", null, false), tables, banner, metrics, clock);
        assertEquals(Verdict.DROP, divert(t, Syn.of("2001:db8::bad", 50000, "2001:db8::1", 22)));
        Await.until(DEADLINE, () -> logs.lines().contains("[2001:db8::bad]:50000 -> [2001:db8::1]:22"), () -> "log line, got " + logs.lines());
        assertNotNull(tables.entry("bofh", IpAddress.parse("2001:db8::bad")));
        assertNull(tables.entry("bofh", IpAddress.parse("2001:db8::bad")).expires(), "no lifetime: never expires");
    }

    @Test
    void alreadyBannedSourceCostsACounterNotALogLine() {
        Tripwire t = new Tripwire(new Tripwire.Config(7000, "bofh", null, false), tables, banner, metrics, clock);
        divert(t, Syn.of("198.51.100.7", 1000, "192.0.2.1", 23));
        Await.until(DEADLINE, () -> count("banned") == 1, () -> "first ban");
        for (int i = 0; i < 50; i++) assertEquals(Verdict.DROP, divert(t, Syn.of("198.51.100.7", 1001 + i, "192.0.2.1", 23)));
        Await.until(DEADLINE, () -> count("already_banned") == 50, () -> "50 already banned, got " + count("already_banned"));
        assertEquals(1, logs.lines().size(), () -> "one log line: " + logs.lines());
        assertEquals(1, tables.totalAdds.get(), "one table write");
    }

    /** What the tripwire asked of the kernel's fast path, and whether the ban was queued at that moment. */
    record Enforced(String table, IpAddress address, Instant expires, Origin origin, int backlog) {}

    @Test
    void idleQueueEnforcesInTheKernelBeforeTheHandOffABusyOneBatches() throws Exception {
        List<Enforced> calls = new CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        StateKiller held = src -> { // the worker stays busy with the first ban (still pending) until the gate opens
            killed.add(src);
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        banner.close();
        banner = new Banner(tables, held, metrics, 1024, "test-banner");
        Tripwire t = new Tripwire(new Tripwire.Config(7000, "bofh", Duration.ofHours(1), false), tables, banner, metrics, clock,
                (table, address, expires, origin) -> calls.add(new Enforced(table, address, expires, origin, banner.backlog())));
        try {
            assertEquals(Verdict.DROP, divert(t, Syn.of("198.51.100.7", 40123, "192.0.2.1", 23)));
            assertEquals(List.of(new Enforced("bofh", IpAddress.parse("198.51.100.7"), Instant.parse("2026-01-01T01:00:00Z"),
                    new Origin.Tripwire(7000), 0)), calls, "idle queue: the kernel push before the ban is queued");
            Await.until(DEADLINE, () -> killed.size() == 1, () -> "the first ban's worker reaches the gate");
            assertEquals(1, banner.backlog(), "the first ban still runs");
            assertEquals(Verdict.DROP, divert(t, Syn.of("198.51.100.8", 40124, "192.0.2.1", 23)));
            assertEquals(Verdict.DROP, divert(t, Syn.of("198.51.100.7", 40125, "192.0.2.1", 23)));
            assertEquals(1, calls.size(), "a backlog: this ban goes in the batch, no fast push; a repeat is coalesced: " + calls);
        } finally {
            gate.countDown();
        }
        Await.until(DEADLINE, () -> count("banned") == 2, () -> "both banned, got " + count("banned"));
        assertNotNull(tables.entry("bofh", IpAddress.parse("198.51.100.8")), "the batched ban is durable");
    }

    @Test
    void allowlistedSourceIsNotBannedLoggedOnceAndCounted() {
        tables.allow("10.0.0.0/8");
        Tripwire t = new Tripwire(new Tripwire.Config(7000, "bofh", null, false), tables, banner, metrics, clock);
        for (int i = 0; i < 3; i++) {
            assertEquals(Verdict.DROP, divert(t, Syn.of("10.1.2.3", 2000 + i, "192.0.2.1", 23)));
            int n = i + 1;
            Await.until(DEADLINE, () -> count("allowlisted") == n, () -> "allowlisted count " + n);
        }
        assertEquals(0, tables.size("bofh"));
        assertEquals(List.of(), killed);
        assertEquals(List.of("10.1.2.3:2000 -> 192.0.2.1:23 (allowlisted, not banned)"), logs.lines());
        assertEquals(3, metrics.banRefused.labelValues("tripwire", "allowlist").get());
    }

    @Test
    void missingTableIsReportedAtConstructionOrCreated() {
        MemoryTables empty = new MemoryTables();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Tripwire(new Tripwire.Config(7000, "bofh", null, false), empty, banner, metrics, clock));
        assertTrue(e.getMessage().contains("<bofh> does not exist"), e.getMessage());
        new Tripwire(new Tripwire.Config(7000, "bofh", null, true), empty, banner, metrics, clock);
        assertTrue(empty.exists("bofh"));
    }

    @Test
    void tableDeletedAtRunTimeIsAnErrorNotACrash() {
        Tripwire t = new Tripwire(new Tripwire.Config(7000, "bofh", null, false), tables, banner, metrics, clock);
        tables.drop("bofh");
        assertEquals(Verdict.DROP, divert(t, Syn.of("198.51.100.9", 1, "192.0.2.1", 23)));
        Await.until(DEADLINE, () -> count("error") == 1, () -> "error counted");
        assertEquals(1, metrics.banRefused.labelValues("tripwire", "no_table").get());
        assertEquals(Verdict.DROP, divert(t, new byte[] {0x45, 0}));
        assertEquals(1, count("undecodable"));
    }

    @Test
    void badConfigIsRefusedWithTheValue() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Tripwire.Config(0, "t", null, false))
                .getMessage().contains("got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Tripwire.Config(1, "x".repeat(32), null, false))
                .getMessage().contains("at most 31"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Tripwire.Config(1, "t", Duration.ZERO, false))
                .getMessage().contains("positive"));
    }

    /** A SYN made by the kernel (a connect to a closed loopback port), captured with tcpdump. */
    static byte[] kernelSyn(String host, int port) throws Exception {
        return dev.palisade.services.Capture.first("lo", "tcp dst port " + port, () -> {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(java.net.InetAddress.ofLiteral(host), port), 2000);
            } catch (java.io.IOException refused) {
                // nothing listens there: the kernel answers the SYN with a reset
            }
        });
    }

    @Test
    void kernelMadeSynsFromBothFamiliesAreBanned() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.palisade.services.Capture.available(),
                "needs root and tcpdump to capture real SYNs: skipped");
        int port = freePort();
        byte[] v4 = kernelSyn("127.0.0.1", port);
        byte[] v6 = kernelSyn("::1", port);
        PacketFields f4 = PacketFields.decode(v4), f6 = PacketFields.decode(v6);
        assertEquals(port, f4.dstPort());
        assertEquals(port, f6.dstPort());
        Tripwire t = new Tripwire(new Tripwire.Config(7000, "bofh", null, false), tables, banner, metrics, clock);
        assertEquals(Verdict.DROP, divert(t, v4));
        assertEquals(Verdict.DROP, divert(t, v6));
        Await.until(DEADLINE, () -> tables.matches("bofh", IpAddress.parse("127.0.0.1")) && tables.matches("bofh", IpAddress.parse("::1")),
                () -> "both banned");
        Await.until(DEADLINE, () -> logs.lines().containsAll(List.of(
                "127.0.0.1:" + f4.srcPort() + " -> 127.0.0.1:" + port, "[::1]:" + f6.srcPort() + " -> [::1]:" + port)),
                () -> "log lines, got " + logs.lines());
    }

    static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void decoderReadsBothFamilies() {
        PacketFields f = PacketFields.decode(Syn.of("2001:db8::2", 5, "2001:db8::1", 6));
        assertEquals(new PacketFields(IpAddress.parse("2001:db8::2"), IpAddress.parse("2001:db8::1"), 6, 5, 6), f);
        assertNull(PacketFields.decode(new byte[] {0x10}));
        // cut after the IP header: the address is still there to ban
        PacketFields cut = PacketFields.decode(java.util.Arrays.copyOf(Syn.of("198.51.100.7", 1, "192.0.2.1", 23), 20));
        assertNotNull(cut);
        assertEquals(IpAddress.parse("198.51.100.7"), cut.src());
        assertEquals(-1, cut.srcPort());
        assertEquals("198.51.100.7 -> 192.0.2.1", cut.flow());
    }
}
