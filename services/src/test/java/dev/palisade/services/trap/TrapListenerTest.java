package dev.palisade.services.trap;

import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.table.Origin;
import dev.palisade.services.Await;
import dev.palisade.services.Banner;
import dev.palisade.services.LogCapture;
import dev.palisade.services.MemoryTables;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.StateKiller;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TrapListenerTest {

    final SeedMetrics metrics = SeedMetrics.unregistered();
    final MemoryTables tables = new MemoryTables("blocked");
    final List<IpAddress> killed = new CopyOnWriteArrayList<>();
    final Banner banner = new Banner(tables, (StateKiller) killed::add, metrics, 4096, "trap-test-banner");
    final LogCapture logs = new LogCapture("palisade.trap");
    TrapListener trap;

    @AfterEach
    void close() {
        if (trap != null) trap.close();
        banner.close();
        logs.close();
    }

    TrapListener start(Duration lifetime, String... addrs) throws IOException {
        List<InetSocketAddress> l = new ArrayList<>();
        for (String a : addrs) l.add(new InetSocketAddress(InetAddress.ofLiteral(a), 0));
        trap = new TrapListener(new TrapListener.Config(l, "blocked", lifetime, false, 4096), tables, banner, metrics, Clock.systemUTC());
        trap.start();
        return trap;
    }

    static void connect(InetSocketAddress to, InetAddress from) {
        try (Socket s = new Socket()) {
            if (from != null) s.bind(new InetSocketAddress(from, 0));
            s.connect(to, 5000);
            // the trap closes at once: reading sees the end or a reset
            s.setSoTimeout(5000);
            try {
                assertEquals(-1, s.getInputStream().read());
            } catch (IOException reset) {
                // RST from SO_LINGER 0
            }
        } catch (java.net.SocketException e) {
            // The trap may accept and reset before connect() has seen the handshake finish;
            // the counters checked by the tests tell whether the connection was accepted.
            if (!String.valueOf(e.getMessage()).contains("reset")) {
                throw new AssertionError("connect to " + to + " from " + from + ": " + e, e);
            }
        } catch (IOException e) {
            throw new AssertionError("connect to " + to + " from " + from + ": " + e, e);
        }
    }

    @Test
    void ipv4AndIpv6ConnectsBanThePeer() throws IOException {
        start(null, "127.0.0.1", "::1");
        List<InetSocketAddress> b = trap.boundAddresses();
        assertEquals(2, b.size());
        connect(b.get(0), null);
        connect(b.get(1), null);
        IpAddress v4 = IpAddress.parse("127.0.0.1"), v6 = IpAddress.parse("::1");
        Await.until(Duration.ofSeconds(5), () -> tables.matches("blocked", v4) && tables.matches("blocked", v6),
                () -> "both peers banned, logs " + logs.lines());
        Await.until(Duration.ofSeconds(5), () -> logs.lines().containsAll(List.of("blocking 127.0.0.1", "blocking ::1")),
                () -> "log lines, got " + logs.lines());
        assertEquals(new Origin.Trap("127.0.0.1:" + b.get(0).getPort()), tables.entry("blocked", v4).origin());
        assertEquals(new Origin.Trap("[::1]:" + b.get(1).getPort()), tables.entry("blocked", v6).origin());
        assertTrue(killed.containsAll(List.of(v4, v6)), "states killed: " + killed);
        assertEquals(1, metrics.trapConnections.labelValues("127.0.0.1:" + b.get(0).getPort()).get());
        assertEquals(2, metrics.bans.labelValues("trap").get());
    }

    @Test
    void allowlistedPeerIsNotBanned() throws IOException {
        tables.allow("127.0.0.0/8");
        start(null, "127.0.0.1");
        for (int i = 0; i < 3; i++) connect(trap.boundAddresses().getFirst(), null);
        Await.until(Duration.ofSeconds(5), () -> metrics.banRefused.labelValues("trap", "allowlist").get() >= 1, () -> "refusal counted");
        Await.until(Duration.ofSeconds(5), () -> banner.backlog() == 0, () -> "banner idle");
        assertEquals(0, tables.size("blocked"));
        assertEquals(List.of("not blocking 127.0.0.1: allowlisted"),
                logs.lines().stream().filter(l -> !l.startsWith("trap listening")).toList());
    }

    @Test
    void bindFailureNamesTheAddress() throws IOException {
        start(null, "127.0.0.1");
        int port = trap.boundAddresses().getFirst().getPort();
        TrapListener other = new TrapListener(new TrapListener.Config(
                List.of(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), port)), "blocked", null, false, 16),
                tables, banner, metrics, Clock.systemUTC());
        IOException e = assertThrows(IOException.class, other::start);
        assertTrue(e.getMessage().startsWith("trap: cannot listen on 127.0.0.1:" + port + ":"), e.getMessage());
        other.close();
    }

    @Test
    void missingTableIsReportedAtConstruction() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new TrapListener(
                new TrapListener.Config(List.of(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0)), "nope", null, false, 16),
                tables, banner, metrics, Clock.systemUTC()));
        assertTrue(e.getMessage().contains("<nope> does not exist"), e.getMessage());
    }

    /**
     * 20k connections from 5000 distinct loopback sources (4 each), from 8
     * client threads: every source is banned with exactly one table write, and
     * the service never runs more than its two threads.
     */
    @Test
    void floodIsHandledWithBoundedThreadsAndOneBanPerPeer() throws Exception {
        start(null, "127.0.0.1");
        InetSocketAddress to = trap.boundAddresses().getFirst();
        int sources = 5000, repeats = 4, clients = 8;
        AtomicInteger maxServiceThreads = new AtomicInteger();
        Set<String> serviceThreadNames = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int cc = c;
                fs.add(pool.submit(() -> {
                    for (int r = 0; r < repeats; r++) {
                        for (int i = cc; i < sources; i += clients) {
                            connect(to, source(i));
                        }
                        if (cc == 0) {
                            int n = 0;
                            for (Thread t : Thread.getAllStackTraces().keySet()) {
                                if (t.getName().startsWith("trap-")) {
                                    n++;
                                    serviceThreadNames.add(t.getName());
                                }
                            }
                            maxServiceThreads.accumulateAndGet(n, Math::max);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
        Await.until(Duration.ofSeconds(30), () -> tables.size("blocked") == sources,
                () -> "all " + sources + " banned, have " + tables.size("blocked"));
        Await.until(Duration.ofSeconds(10), () -> metrics.trapConnections.labelValues("127.0.0.1:" + to.getPort()).get() == sources * repeats,
                () -> "connections counted");
        for (int i = 0; i < sources; i++) {
            IpAddress a = IpAddress.ofBytes(source(i).getAddress());
            assertTrue(tables.matches("blocked", a), a + " banned");
            assertEquals(1, tables.addCalls.get(a).get(), a + " written once");
        }
        assertEquals(sources, metrics.bans.labelValues("trap").get());
        assertEquals(sources, logs.lines().stream().filter(l -> l.startsWith("blocking ")).count());
        assertTrue(maxServiceThreads.get() <= 2, "service threads " + serviceThreadNames);
    }

    static InetAddress source(int i) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 1, (byte) (i >>> 8), (byte) i});
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
