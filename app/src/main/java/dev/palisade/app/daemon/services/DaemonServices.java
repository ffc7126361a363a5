package dev.palisade.app.daemon.services;

import dev.palisade.app.config.ServicesConf;
import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.table.Tables;
import dev.palisade.core.table.TableSet;
import dev.palisade.core.tabled.TabledConfig;
import dev.palisade.core.tabled.TabledKeys;
import dev.palisade.core.divert.Verdict;
import dev.palisade.kernel.nfqueue.NfQueueReader;
import dev.palisade.services.Banner;
import dev.palisade.services.Enforcer;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.StateKiller;
import dev.palisade.services.dnsbl.DnsblGate;
import dev.palisade.services.dnsbl.ReturnCodes;
import dev.palisade.services.payload.DiverterRegistry;
import dev.palisade.services.store.DurableTables;
import dev.palisade.services.tabled.TabledKeyFile;
import dev.palisade.services.tabled.TabledServer;
import dev.palisade.services.trap.TrapListener;
import dev.palisade.services.tripwire.Tripwire;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * palisaded's services (issue 8): the diverters on their divert ports
 * (NFQUEUE readers), the trap listeners, the pftabled server, the Prometheus
 * exporter and the syslog destination, all on the daemon's durable tables.
 *
 * <p>Why components keyed by what they bind: a reload ({@link #apply}) compares
 * the new configuration with the running one key by key ({@code divert 700},
 * {@code trap 127.0.0.1:2507}, {@code pftabled}, {@code metrics}, {@code log});
 * an unchanged component keeps running untouched (its sockets, queues and
 * counters), a changed or removed one is stopped and the new ones started;
 * when any start fails, everything this change started is stopped and
 * everything it stopped is started again with its old settings, so a reload
 * that fails leaves what ran before running (XXX best effort: a port taken
 * by someone else meanwhile cannot be won back; that is reported). Parse errors never get here: a file
 * with an error is refused whole before {@link #apply}.
 *
 * <p>Divert ports need root (or CAP_NET_ADMIN) and a kernel with NFQUEUE;
 * without them the diverter is not run and one line says why (the daemon
 * still starts: the trap listeners, pftabled and the metrics work unprivileged).
 */
public final class DaemonServices implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("palisaded");

    private final DurableTables tables;
    private final StateKiller killer;
    private final Enforcer enforcer;
    private final PrometheusRegistry registry;
    private final Clock clock;
    private final SeedMetrics seed;
    private final Counter divertPackets;
    private final Map<String, Component> running = new LinkedHashMap<>();
    private final Map<Integer, NfQueueReader> readers = new ConcurrentHashMap<>();
    private final Map<String, TabledServer> tabled = new ConcurrentHashMap<>();
    private final DiverterRegistry diverters = DiverterRegistry.builtIn();
    private final ExecutorService dnsExecutor = Executors.newFixedThreadPool(2,
            Thread.ofPlatform().name("dnsbl-", 0).daemon(true).factory());
    private volatile boolean kernelNoticeGiven;

    /** A running part of the configuration: the settings it was started with, and how to stop it. */
    private record Component(Object settings, AutoCloseable stop) {}

    /**
     * @param tables   the daemon's durable tables
     * @param killer   kills the states of banned sources (the kernel side's conntrack delete; {@link StateKiller#NONE} without one)
     * @param registry where the metrics are registered (and exported from, with a {@code metrics} statement)
     */
    public DaemonServices(DurableTables tables, StateKiller killer, PrometheusRegistry registry, Clock clock) {
        this(tables, killer, Enforcer.NONE, registry, clock);
    }

    /**
     * As {@link #DaemonServices(DurableTables, StateKiller, PrometheusRegistry, Clock)}, with the
     * kernel side's fast path for the tripwires' bans ({@link Enforcer}).
     */
    public DaemonServices(DurableTables tables, StateKiller killer, Enforcer enforcer, PrometheusRegistry registry, Clock clock) {
        this.enforcer = Objects.requireNonNull(enforcer, "enforcer");
        this.tables = Objects.requireNonNull(tables, "tables");
        this.killer = Objects.requireNonNull(killer, "killer");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.seed = new SeedMetrics(registry);
        this.divertPackets = Counter.builder().name("palisade_divert_packets_total")
                .help("Packets read from divert ports (NFQUEUE), by queue and verdict").labelNames("queue", "verdict").register(registry);
        CounterWithCallback.builder().name("palisade_divert_queue_drops_total")
                .help("Packets the kernel dropped because a divert queue's socket overran").labelNames("queue")
                .callback(cb -> readers.forEach((q, r) -> cb.call(r.overruns(), Integer.toString(q)))).register(registry);
        GaugeWithCallback.builder().name("palisade_table_entries").help("Entries per table").labelNames("table")
                .callback(cb -> tables.read((TableSet s) -> {
                    s.tables().forEach(t -> cb.call(t.size(), t.name()));
                    return null;
                })).register(registry);
        CounterWithCallback.builder().name("palisade_pftabled_datagrams_total")
                .help("pftabled datagrams by outcome (received, rejected_REASON, applied_EFFECT, internal_errors)").labelNames("outcome")
                .callback(cb -> tabled.values().forEach(s -> s.counters().snapshot().forEach((k, v) -> cb.call(v, k)))).register(registry);
    }

    /** The counters the services share (for tests and the kernel side's overload bans). */
    public SeedMetrics seedMetrics() {
        return seed;
    }

    /**
     * Checks what parsing cannot: each payload diverter block against its provider (built with a
     * scratch context, then discarded), the pftabled key file. Returns every problem, in the file's
     * terms; a reload with any problem is refused whole, before anything is stopped.
     */
    public List<String> check(ServicesConf conf) {
        List<String> problems = new ArrayList<>();
        for (DiverterConfig p : conf.payload()) {
            DiverterContext scratch = DiverterContext.of(packet -> {}, Map.of(PrometheusRegistry.class, new PrometheusRegistry()));
            try {
                Diverter d = diverters.create(p, scratch);
                if (d instanceof AutoCloseable c) c.close();
            } catch (dev.palisade.core.divert.DiverterConfigException e) {
                problems.addAll(e.errors());
            } catch (Exception e) {
                problems.add(p.source() + ":" + p.line() + ": diverter \"" + p.type() + "\": " + e.getMessage());
            }
        }
        if (conf.pftabled() != null && conf.pftabled().key() != null) {
            try {
                TabledKeyFile.load(conf.pftabled().key());
            } catch (TabledKeyFile.KeyFileException e) {
                problems.add("pftabled: " + e.getMessage());
            }
        }
        return problems;
    }

    /**
     * Makes the running services match {@code conf}: starts what is new, restarts what changed,
     * stops what is gone, leaves the rest running. Returns one line per component that could not
     * start (then its previous settings, if any, are running again); empty when all is well.
     */
    public synchronized List<String> apply(ServicesConf conf) {
        Map<String, Object> want = desired(conf);
        Map<String, Component> before = new LinkedHashMap<>(running);
        List<String> stopped = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        // stop what is gone or changed first: its sockets and queues are free for the new components
        for (var it = running.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Object w = want.get(e.getKey());
            if (w == null || !w.equals(e.getValue().settings())) {
                close(e.getKey(), e.getValue());
                stopped.add(e.getKey());
                it.remove();
            }
        }
        for (var e : want.entrySet()) {
            String key = e.getKey();
            if (running.containsKey(key)) continue; // unchanged
            try {
                running.put(key, new Component(e.getValue(), start(key, e.getValue())));
            } catch (Exception ex) {
                problems.add(key + ": " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
                break;
            }
        }
        if (problems.isEmpty()) {
            for (String k : stopped) log.info("{}: {}", k, want.containsKey(k) ? "restarted with the new settings" : "stopped (no longer configured)");
            return problems;
        }
        // one part failed: undo the whole change, so what ran before runs again
        for (var e : new ArrayList<>(running.entrySet())) {
            if (before.get(e.getKey()) != e.getValue()) {
                close(e.getKey(), e.getValue());
                running.remove(e.getKey());
            }
        }
        for (String k : stopped) {
            Component old = before.get(k);
            try {
                running.put(k, new Component(old.settings(), start(k, old.settings())));
            } catch (Exception again) {
                problems.add(k + ": the previous settings failed to start again: " + again.getMessage());
            }
        }
        if (!before.isEmpty()) log.warn("services: the change failed; the previous services are running again");
        return problems;
    }

    /** The components {@code conf} asks for, keyed by what they bind. */
    private static Map<String, Object> desired(ServicesConf c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("log", c.log());
        if (c.metrics() != null) m.put("metrics", c.metrics());
        for (var t : c.tripwires()) m.put("divert " + t.port(), List.of(t, c.createTables()));
        for (var d : c.dnsbls()) m.put("divert " + d.port(), List.of(d, c.createTables()));
        for (var p : c.payload()) m.put("divert " + p.port(), List.of(p, c.createTables()));
        for (var t : c.traps()) m.put("trap " + t.describe(), List.of(t, c.createTables()));
        if (c.pftabled() != null) m.put("pftabled", List.of(c.pftabled(), c.createTables()));
        return m;
    }

    private AutoCloseable start(String key, Object settings) throws Exception {
        Object s = settings instanceof List<?> l ? l.get(0) : settings;
        boolean create = settings instanceof List<?> l && (Boolean) l.get(1);
        return switch (s) {
            case ServicesConf.Log l -> SyslogOutput.apply(l);
            case ServicesConf.Metrics m -> metrics(m);
            case ServicesConf.TripwireDivert t -> tripwire(t, create);
            case ServicesConf.DnsblDivert d -> dnsbl(d, create);
            case DiverterConfig p -> payload(p, create);
            case ServicesConf.Trap t -> trap(t, create);
            case ServicesConf.Pftabled p -> pftabled(p, create);
            default -> throw new IllegalStateException("no service for " + key);
        };
    }

    private void close(String key, Component c) {
        try {
            c.stop().close();
        } catch (Exception e) {
            log.warn("{}: stopping failed: {}", key, e.toString());
        }
    }

    private static InetSocketAddress socketAddress(IpAddress a, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(a.toBytes()), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are always an address", e);
        }
    }

    // ---- metrics -------------------------------------------------------------------------

    private AutoCloseable metrics(ServicesConf.Metrics m) throws IOException {
        InetSocketAddress a = socketAddress(m.address(), m.port());
        HTTPServer server;
        try {
            server = HTTPServer.builder().inetAddress(a.getAddress()).port(m.port()).registry(registry).buildAndStart();
        } catch (IOException e) {
            throw new IOException("cannot listen on " + a.getAddress().getHostAddress() + ":" + m.port() + " for /metrics: " + e.getMessage(), e);
        }
        log.info("metrics: serving /metrics on http://{}:{}/metrics", m.address().v6() ? "[" + m.address() + "]" : m.address(), server.getPort());
        return server::close;
    }

    // ---- divert ports --------------------------------------------------------------------

    /** Counts every verdict by queue, then hands it on. */
    private Diverter counting(int port, Diverter d) {
        String q = Integer.toString(port);
        var pass = divertPackets.labelValues(q, "pass");
        var drop = divertPackets.labelValues(q, "drop");
        var rewrite = divertPackets.labelValues(q, "rewrite");
        return new Diverter() {
            @Override
            public String name() {
                return d.name();
            }

            @Override
            public void divert(DivertedPacket packet, Consumer<Verdict> verdict) {
                d.divert(packet, new Counted(verdict, pass, drop, rewrite));
            }
        };
    }

    /**
     * A verdict counted, then handed on. A plain class and instanceof tests, not a lambda and a
     * pattern switch: those link their call sites at the first execution, i.e. on the first
     * diverted packet (the first scanner's ban waited for it).
     */
    private record Counted(Consumer<Verdict> next, io.prometheus.metrics.core.datapoints.CounterDataPoint pass,
                           io.prometheus.metrics.core.datapoints.CounterDataPoint drop,
                           io.prometheus.metrics.core.datapoints.CounterDataPoint rewrite) implements Consumer<Verdict> {
        @Override
        public void accept(Verdict v) {
            (v instanceof Verdict.Drop ? drop : v instanceof Verdict.Rewrite ? rewrite : pass).inc();
            next.accept(v);
        }
    }

    /** Reads {@code port}'s queue into {@code d}; without root or NFQUEUE, one line and nothing read. */
    private AutoCloseable serve(int port, Diverter d, String what) {
        try {
            NfQueueReader r = NfQueueReader.start(port, counting(port, d), NfQueueReader.Options.DEFAULT, null);
            readers.put(port, r);
            log.info("divert port {}: {} reading NFQUEUE {}", port, what, port);
            return () -> {
                readers.remove(port, r);
                r.close();
            };
        } catch (Exception e) {
            // without root the kernel answers EPERM, which the reader reports as a taken queue: say what it means
            log.warn("divert port {}: {} not started: cannot read NFQUEUE {}: {}", port, what, port,
                    dev.palisade.app.daemon.Defaults.isRoot() ? e.getMessage() : "not root (reading a queue needs root or CAP_NET_ADMIN)");
            return () -> {};
        }
    }

    private AutoCloseable tripwire(ServicesConf.TripwireDivert t, boolean create) {
        Banner banner = new Banner(tables, killer, seed, 65536, "tripwire-" + t.port());
        try {
            Tripwire tw = new Tripwire(new Tripwire.Config(t.port(), t.table(),
                    t.lifetime() == 0 ? null : Duration.ofSeconds(t.lifetime()), create), tables, banner, seed, clock, enforcer);
            AutoCloseable q = serve(t.port(), tw, "tripwire into <" + t.table() + ">");
            return () -> {
                q.close();
                banner.close();
            };
        } catch (RuntimeException e) {
            banner.close();
            throw e;
        }
    }

    private AutoCloseable dnsbl(ServicesConf.DnsblDivert d, boolean create) {
        IpAddress resolver = d.resolver() != null ? d.resolver() : systemResolver();
        DnsblGate.Config c = new DnsblGate.Config(d.port(), d.black(), d.cache(), d.zones(), socketAddress(resolver, d.resolverPort()),
                Duration.ofMillis(d.timeoutMillis()), Duration.ofSeconds(d.blackLifetime()), Duration.ofSeconds(d.cacheLifetime()),
                d.failClosed(), ReturnCodes.parse(d.codes()), 64, 65536, 16384, create);
        Banner banner = new Banner(tables, killer, seed, 65536, "dnsbl-" + d.port());
        DnsblGate gate;
        try {
            gate = new DnsblGate(c, tables, banner, seed, clock, dnsExecutor);
        } catch (RuntimeException e) {
            banner.close();
            throw e;
        }
        AutoCloseable q = serve(d.port(), gate, "dnsbl gate (" + String.join(", ", d.zones()) + " via " + resolver + ")");
        return () -> {
            q.close();
            gate.close();
            banner.close();
        };
    }

    private static IpAddress systemResolver() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
                String[] w = line.strip().split("\\s+");
                if (w.length >= 2 && w[0].equals("nameserver")) {
                    IpAddress a = IpAddress.tryParse(w[1].replaceFirst("%.*$", ""));
                    if (a != null) return a;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        throw new IllegalStateException("no resolver given and no nameserver in /etc/resolv.conf: add resolver ADDRESS");
    }

    private AutoCloseable payload(DiverterConfig p, boolean create) {
        DiverterContext ctx = DiverterContext.of(packet -> {}, Map.of(PrometheusRegistry.class, registry, Tables.class, tables));
        Diverter d = diverters.create(p, ctx);
        AutoCloseable q = serve(p.port(), d, "diverter \"" + p.type() + "\"");
        return () -> {
            q.close();
            if (d instanceof AutoCloseable c) c.close();
        };
    }

    // ---- listeners -----------------------------------------------------------------------

    private AutoCloseable trap(ServicesConf.Trap t, boolean create) throws IOException {
        List<InetSocketAddress> l = t.addresses().stream().map(a -> socketAddress(a, t.port())).toList();
        TrapListener.Config c = new TrapListener.Config(l, t.table(), t.lifetime() == 0 ? null : Duration.ofSeconds(t.lifetime()),
                create, t.backlog());
        Banner banner = new Banner(tables, killer, seed, 65536, "trap-banner");
        TrapListener trap;
        try {
            trap = new TrapListener(c, tables, banner, seed, clock);
            trap.start();
        } catch (IOException | RuntimeException e) {
            banner.close();
            throw e;
        }
        return () -> {
            trap.close();
            banner.close();
        };
    }

    private AutoCloseable pftabled(ServicesConf.Pftabled p, boolean create) throws Exception {
        TabledKeys keys = TabledKeys.NONE;
        if (p.key() != null) {
            try {
                keys = TabledKeyFile.load(p.key());
            } catch (TabledKeyFile.KeyFileException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        }
        TabledConfig config = new TabledConfig(keys, p.table(), p.lifetime(), TabledConfig.DEFAULT_WINDOW, !p.v3Only(),
                TabledConfig.DEFAULT_REPLAY_CAPACITY, TabledConfig.DEFAULT_RATE, TabledConfig.DEFAULT_BURST, TabledConfig.DEFAULT_MAX_PEERS);
        TabledServer.Settings s = TabledServer.Settings.of(p.port()).withCreateTables(create);
        if (p.address() != null) s = s.withBind(socketAddress(p.address(), p.port()));
        if (!keys.hasV2Key()) {
            log.warn("pftabled: WARNING: no key: datagrams are NOT authenticated; anyone who can send UDP to port {} can change your tables",
                    p.port());
        }
        TabledServer server = TabledServer.start(config, s, tables, clock);
        tabled.put("pftabled", server);
        log.info("pftabled: listening on UDP {} ({})", server.localAddress(), keys);
        return () -> {
            tabled.remove("pftabled", server);
            server.close();
            log.info("pftabled: stopped: {}", server.counters());
        };
    }

    /** Stops every service. Idempotent. */
    @Override
    public synchronized void close() {
        List<String> keys = new ArrayList<>(running.keySet());
        java.util.Collections.reverse(keys);
        for (String k : keys) close(k, running.get(k));
        running.clear();
        dnsExecutor.shutdownNow();
        try {
            diverters.close();
        } catch (IOException e) {
            log.warn("closing diverter jars failed: {}", e.toString());
        }
    }
}
