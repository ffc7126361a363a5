package dev.palisade.bench;

import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Verdict;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import dev.palisade.services.Banner;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.StateKiller;
import dev.palisade.services.dnsbl.DnsblGate;
import dev.palisade.services.trap.TrapListener;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end throughput of the seed services (not JMH: the work is sockets
 * and a real DNS server, measured as wall-clock rates).
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.palisade.bench.SeedServicesBench trap  [CONNECTIONS] [CLIENT_THREADS]
 * java -cp bench/target/benchmarks.jar dev.palisade.bench.SeedServicesBench dnsbl [SOURCES] [IN_FLIGHT]
 * </pre>
 *
 * <ul>
 *   <li>trap: a trap listener on 127.0.0.1; client threads connect from
 *       distinct loopback sources (127.2.x.y, each source 4 times), non-blocking, 256 in flight per thread; the rate is
 *       connections accepted, closed and their peers banned per second, until
 *       every peer is in the table. Target: at least 10k/s, heap flat.</li>
 *   <li>dnsbl: the DNSBL gate against a local unbound started here (a static
 *       local zone: every source clean, NXDOMAIN), one zone; SOURCES distinct
 *       IPv4 sources, one SYN each, at most IN_FLIGHT (default 512) in flight; the rate is new
 *       sources judged per second, and the check that the zone was asked
 *       exactly once per source. Target: at least 5k/s.</li>
 * </ul>
 */
public final class SeedServicesBench {

    /** A plain concurrent in-memory Tables: the bench measures the services, not the store. */
    static final class HeapTables implements Tables {
        final Map<String, Map<IpPrefix, Instant>> t = new ConcurrentHashMap<>();

        public AddOutcome add(String table, IpPrefix p, Instant expires, Origin origin) {
            Map<IpPrefix, Instant> m = t.get(table);
            if (m == null) return AddOutcome.NO_SUCH_TABLE;
            return m.put(p, expires == null ? Instant.MAX : expires) == null ? AddOutcome.ADDED : AddOutcome.REFRESHED;
        }
        public boolean delete(String table, IpPrefix p) { return t.get(table).remove(p) != null; }
        public int flush(String table) { int n = t.get(table).size(); t.get(table).clear(); return n; }
        public boolean exists(String table) { return t.containsKey(table); }
        public boolean create(String table) { return t.putIfAbsent(table, new ConcurrentHashMap<>()) == null; }
        public boolean matches(String table, IpAddress a) { Map<IpPrefix, Instant> m = t.get(table); return m != null && m.containsKey(IpPrefix.host(a)); }
        int size(String table) { return t.get(table).size(); }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: SeedServicesBench trap [CONNECTIONS] [THREADS] | dnsbl [SOURCES] [IN_FLIGHT]");
            System.exit(2);
        }
        switch (args[0]) {
            case "trap" -> trap(args.length > 1 ? Integer.parseInt(args[1]) : 40000, args.length > 2 ? Integer.parseInt(args[2]) : 8);
            case "dnsbl" -> dnsbl(args.length > 1 ? Integer.parseInt(args[1]) : 50000, args.length > 2 ? Integer.parseInt(args[2]) : 512);
            default -> {
                System.err.println("unknown benchmark " + args[0]);
                System.exit(2);
            }
        }
    }

    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        var h = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return h.getUsed();
    }

    static void trap(int connections, int threads) throws Exception {
        HeapTables tables = new HeapTables();
        tables.create("iblocked");
        SeedMetrics metrics = SeedMetrics.unregistered();
        try (Banner banner = new Banner(tables, StateKiller.NONE, metrics, 65536, "trap-banner");
             TrapListener trap = new TrapListener(new TrapListener.Config(
                     List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), "iblocked", null, false, 4096),
                     tables, banner, metrics, Clock.systemUTC())) {
            trap.start();
            InetSocketAddress to = trap.boundAddresses().getFirst();
            int sources = Math.max(1, connections / 4);
            // warm-up round, then the measured rounds
            for (int round = 0; round < 2; round++) {
                tables.flush("iblocked");
                long heap0 = heapAfterGc();
                long cpuStart = serviceCpuNanos();
                AtomicInteger failures = new AtomicInteger();
                long t0 = System.nanoTime();
                int base = round * 65536;
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                for (int c = 0; c < threads; c++) {
                    int cc = c;
                    pool.submit(() -> {
                        try {
                            nioClient(to, cc, threads, connections, sources, base, failures);
                        } catch (IOException e) {
                            failures.incrementAndGet();
                            e.printStackTrace();
                        }
                    });
                }
                long cpu0 = cpuStart;
                pool.shutdown();
                while (tables.size("iblocked") < sources || accepted(metrics) < (round + 1) * (double) connections) Thread.sleep(1);
                pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
                double secs = (System.nanoTime() - t0) / 1e9;
                double cpuSecs = (serviceCpuNanos() - cpu0) / 1e9;
                long heap1 = heapAfterGc();
                int svcThreads = (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("trap-")).count();
                System.out.printf("trap %s: %d connections from %d sources, %d client threads: %.2f s, %.0f connections/s (wall, clients on the same cores); "
                                + "service CPU %.2f s = %.0f connections per service CPU second; "
                                + "%d banned, %d connect failures, service threads %d, heap after GC %d KiB -> %d KiB%n",
                        round == 0 ? "warm-up" : "measured", connections, sources, threads, secs, connections / secs,
                        cpuSecs, connections / cpuSecs,
                        tables.size("iblocked"), failures.get(), svcThreads, heap0 / 1024, heap1 / 1024);
            }
        }
    }

    /**
     * One client thread: non-blocking connects, up to 256 in flight, each
     * closed as soon as it is established (or reset by the trap).
     */
    static void nioClient(InetSocketAddress to, int cc, int threads, int connections, int sources, int base,
                          AtomicInteger failures) throws IOException {
        try (java.nio.channels.Selector sel = java.nio.channels.Selector.open()) {
            int i = cc, inFlight = 0;
            while (i < connections || inFlight > 0) {
                while (i < connections && inFlight < 256) {
                    int s = base + (i % sources);
                    java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
                    ch.configureBlocking(false);
                    ch.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, (byte) (2 + (s >>> 16)), (byte) (s >>> 8), (byte) s}), 0));
                    if (ch.connect(to)) {
                        ch.close();
                    } else {
                        ch.register(sel, java.nio.channels.SelectionKey.OP_CONNECT);
                        inFlight++;
                    }
                    i += threads;
                }
                sel.select(100);
                for (var it = sel.selectedKeys().iterator(); it.hasNext(); ) {
                    var k = it.next();
                    it.remove();
                    var ch = (java.nio.channels.SocketChannel) k.channel();
                    try {
                        ch.finishConnect();
                    } catch (IOException e) {
                        if (!String.valueOf(e.getMessage()).contains("reset")) failures.incrementAndGet();
                    }
                    k.cancel();
                    ch.close();
                    inFlight--;
                }
            }
        }
    }

    static double accepted(SeedMetrics m) {
        return m.trapConnections.collect().getDataPoints().stream().mapToDouble(d -> d.getValue()).sum();
    }

    /** CPU time of the service's own threads (acceptor and ban worker). */
    static long serviceCpuNanos() {
        var mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("trap-")) sum += Math.max(0, mx.getThreadCpuTime(t.threadId()));
        }
        return sum;
    }

    static void dnsbl(int sources, int inFlight) throws Exception {
        Path dir = Files.createTempDirectory("palisade-bench-unbound");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.writeString(dir.resolve("unbound.conf"), """
                server:
                  interface: 127.0.0.1
                  port: %d
                  do-daemonize: no
                  username: ""
                  chroot: ""
                  directory: "%s"
                  pidfile: "%s/unbound.pid"
                  use-syslog: no
                  logfile: ""
                  verbosity: 0
                  num-threads: 1
                  do-ip6: no
                  access-control: 127.0.0.0/8 allow
                  module-config: "iterator"
                  num-queries-per-thread: 4096
                  ratelimit: 0
                  ip-ratelimit: 0
                  so-rcvbuf: 4m
                  local-zone: "bench.dnsbl." static
                remote-control:
                  control-enable: no
                """.formatted(port, dir, dir));
        Process unbound = new ProcessBuilder("/usr/sbin/unbound", "-d", "-c", dir.resolve("unbound.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        ExecutorService exec = Executors.newFixedThreadPool(2);
        try {
            HeapTables tables = new HeapTables();
            tables.create("black");
            tables.create("cache");
            SeedMetrics metrics = SeedMetrics.unregistered();
            try (Banner banner = new Banner(tables, StateKiller.NONE, metrics, 65536, "dnsbl-banner")) {
                DnsblGate gate = new DnsblGate(DnsblGate.Config.defaults(25, "black", "cache", new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                        .withZones(List.of("bench.dnsbl")).withTimeout(Duration.ofSeconds(2)), tables, banner, metrics, Clock.systemUTC(), exec);
                // wait (with a deadline) for unbound to answer: one probe source until it is clean
                long deadline = System.nanoTime() + 15_000_000_000L;
                while (true) {
                    AtomicLong ok = new AtomicLong();
                    var f = new java.util.concurrent.CompletableFuture<Verdict>();
                    gate.divert(new DivertedPacket(25, 0, syn(0x0a000000), null, null, 0), f::complete);
                    f.get();
                    if (metrics.dnsblLookups.labelValues("bench.dnsbl", "not_listed").get() >= 1) break;
                    if (System.nanoTime() > deadline) throw new IOException("unbound did not answer: " + Files.readString(dir.resolve("log")));
                    Thread.sleep(50);
                }
                for (int round = 0; round < 2; round++) {
                    double lookups0 = metrics.dnsblLookups.labelValues("bench.dnsbl", "not_listed").get();
                    AtomicInteger done = new AtomicInteger();
                    AtomicInteger passed = new AtomicInteger();
                    int base = 0x0b000000 + round * 0x01000000;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < sources; i++) {
                        while (i - done.get() >= inFlight) Thread.onSpinWait();
                        gate.divert(new DivertedPacket(25, i, syn(base + i), null, null, 0), v -> {
                            if (v == Verdict.PASS) passed.incrementAndGet();
                            done.incrementAndGet();
                        });
                    }
                    while (done.get() < sources) Thread.sleep(1);
                    double secs = (System.nanoTime() - t0) / 1e9;
                    double queries = metrics.dnsblLookups.labelValues("bench.dnsbl", "not_listed").get() - lookups0;
                    double failed = metrics.dnsblLookups.labelValues("bench.dnsbl", "failed").get();
                    double backedOff = metrics.dnsblLookups.labelValues("bench.dnsbl", "backed_off").get();
                    System.out.printf("dnsbl %s: %d new sources, 1 zone, %d in flight: %.2f s, %.0f sources/s, %d passed, %.0f clean answers (one per source: %s), "
                                    + "failed so far %.0f, backed off so far %.0f%n",
                            round == 0 ? "warm-up" : "measured", sources, inFlight, secs, sources / secs, passed.get(), queries,
                            queries == sources ? "yes" : "NO", failed, backedOff);
                }
            }
        } finally {
            exec.shutdownNow();
            unbound.destroyForcibly();
            unbound.waitFor();
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** A minimal IPv4 TCP SYN from {@code src} to 192.0.2.25:25 (the gate reads addresses and ports only). */
    static byte[] syn(int src) {
        ByteBuffer b = ByteBuffer.allocate(40);
        b.put((byte) 0x45).put((byte) 0).putShort((short) 40).putInt(0).put((byte) 64).put((byte) 6).putShort((short) 0)
                .putInt(src).putInt(0xc0000219)
                .putShort((short) 40000).putShort((short) 25).putInt(1).putInt(0).put((byte) 0x50).put((byte) 0x02)
                .putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        return b.array();
    }
}
