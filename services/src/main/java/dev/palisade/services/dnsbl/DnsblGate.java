package dev.palisade.services.dnsbl;

import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import dev.palisade.services.Banner;
import dev.palisade.services.PacketFields;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.TableNames;
import dev.palisade.services.tripwire.Tripwire;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DNSBL gate, dnsbl-divert's job: a source may pass only once DNS
 * blocklists have said it is not listed.
 *
 * <p>Why this shape. dnsbl-divert looks up one packet at a time with a
 * blocking resolver call, so one slow zone stalls every connection, and it
 * treats any answer as a listing. Here:
 * <ul>
 *   <li>The black table and the cache table are checked first, in memory;
 *       most packets stop there.</li>
 *   <li>A new source gets one {@link Pending} entry; every zone is asked at
 *       once (asynchronously); the packets of that source that arrive
 *       meanwhile wait in the entry (at most {@code maxWaitingPerSource}, and
 *       {@code maxWaitingTotal} over all sources; beyond, they get the
 *       failure verdict at once). One lookup per source and zone, however
 *       many packets.</li>
 *   <li>The first zone that lists the source decides (drop); otherwise the
 *       verdict waits for every zone: all clean is clean (pass, cached), any
 *       failure is a failed lookup (the configured failure verdict, not
 *       cached).</li>
 *   <li>Table writes go through a {@link Banner}; the pending entry stays
 *       until the write is done, so packets arriving in between get the
 *       decided verdict without a new lookup.</li>
 *   <li>A zone that keeps failing (5 failures in a row over at least twice the
 *       timeout) is backed off for 10 s, doubling up to 5 min ({@link ZoneHealth}).</li>
 * </ul>
 * Memory: at most {@code maxPendingSources} entries and {@code maxWaitingTotal}
 * waiting verdicts.
 */
public final class DnsblGate implements Diverter, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("palisade.dnsbl");

    /**
     * The gate's configuration.
     *
     * @param port                the divert port, for messages
     * @param blackTable          where listed sources go
     * @param cacheTable          where clean sources go
     * @param zones               the DNSBL zones, asked all at once
     * @param resolver            the resolver's address and port
     * @param timeout             per query
     * @param blackLifetime       how long a listed source stays in the black table, or null for ever
     * @param cacheLifetime       how long a clean source stays in the cache table, or null for ever
     * @param dropOnFailure       the verdict when a lookup fails (false: pass, the default)
     * @param codes               which answers are listings
     * @param maxWaitingPerSource packets of one source that may wait for its verdict
     * @param maxWaitingTotal     packets that may wait in all
     * @param maxPendingSources   sources that may be looked up at once
     * @param createTables        create missing tables instead of refusing to start
     */
    public record Config(int port, String blackTable, String cacheTable, List<String> zones, InetSocketAddress resolver,
                         Duration timeout, Duration blackLifetime, Duration cacheLifetime, boolean dropOnFailure,
                         ReturnCodes codes, int maxWaitingPerSource, int maxWaitingTotal, int maxPendingSources,
                         boolean createTables) {
        public Config {
            if (port < 1 || port > 65535) throw new IllegalArgumentException("dnsbl: divert port must be 1 to 65535, got " + port);
            TableNames.check("dnsbl", blackTable);
            TableNames.check("dnsbl", cacheTable);
            if (blackTable.equals(cacheTable)) throw new IllegalArgumentException("dnsbl: black and cache table must differ, both are <" + blackTable + ">");
            if (zones.isEmpty()) throw new IllegalArgumentException("dnsbl: at least one zone is required");
            zones = zones.stream().map(DnsblName::checkZone).distinct().toList();
            Objects.requireNonNull(resolver, "resolver");
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("dnsbl: timeout must be positive, got " + timeout);
            checkLifetime(blackLifetime, "black");
            checkLifetime(cacheLifetime, "cache");
            Objects.requireNonNull(codes, "codes");
            if (maxWaitingPerSource < 1) throw new IllegalArgumentException("dnsbl: max waiting per source must be at least 1, got " + maxWaitingPerSource);
            if (maxWaitingTotal < maxWaitingPerSource) throw new IllegalArgumentException("dnsbl: max waiting total (" + maxWaitingTotal + ") must be at least the per-source bound (" + maxWaitingPerSource + ")");
            if (maxPendingSources < 1) throw new IllegalArgumentException("dnsbl: max pending sources must be at least 1, got " + maxPendingSources);
        }

        private static void checkLifetime(Duration d, String which) {
            if (d != null && (d.isNegative() || d.isZero())) throw new IllegalArgumentException("dnsbl: " + which + " lifetime must be positive, got " + d);
        }

        /** The defaults: zen.spamhaus.org, 2 s timeout, black 24 h, cache 1 h, fail open, default codes, bounds 64/65536/16384. */
        public static Config defaults(int port, String black, String cache, InetSocketAddress resolver) {
            return new Config(port, black, cache, List.of("zen.spamhaus.org"), resolver, Duration.ofSeconds(2),
                    Duration.ofHours(24), Duration.ofHours(1), false, ReturnCodes.DEFAULT, 64, 65536, 16384, false);
        }

        public Config withZones(List<String> z) {
            return new Config(port, blackTable, cacheTable, z, resolver, timeout, blackLifetime, cacheLifetime, dropOnFailure, codes, maxWaitingPerSource, maxWaitingTotal, maxPendingSources, createTables);
        }

        public Config withTimeout(Duration t) {
            return new Config(port, blackTable, cacheTable, zones, resolver, t, blackLifetime, cacheLifetime, dropOnFailure, codes, maxWaitingPerSource, maxWaitingTotal, maxPendingSources, createTables);
        }

        public Config withDropOnFailure(boolean d) {
            return new Config(port, blackTable, cacheTable, zones, resolver, timeout, blackLifetime, cacheLifetime, d, codes, maxWaitingPerSource, maxWaitingTotal, maxPendingSources, createTables);
        }

        public Config withBounds(int perSource, int total, int sources) {
            return new Config(port, blackTable, cacheTable, zones, resolver, timeout, blackLifetime, cacheLifetime, dropOnFailure, codes, perSource, total, sources, createTables);
        }

        public Config withCreateTables(boolean c) {
            return new Config(port, blackTable, cacheTable, zones, resolver, timeout, blackLifetime, cacheLifetime, dropOnFailure, codes, maxWaitingPerSource, maxWaitingTotal, maxPendingSources, c);
        }
    }

    /** One source being looked up: its waiting packets and, once known, its verdict. */
    private static final class Pending {
        final PacketFields first;
        final long startNanos;
        final List<Consumer<Verdict>> waiters = new ArrayList<>(2);
        int remaining;
        DnsblAnswer.LookupFailed failure;
        Verdict decided;

        Pending(PacketFields first, int zones, long startNanos) {
            this.first = first;
            this.remaining = zones;
            this.startNanos = startNanos;
        }
    }

    private final Config config;
    private final Tables tables;
    private final Banner banner;
    private final SeedMetrics metrics;
    private final Clock clock;
    private final DnsblResolver resolver;
    private final ZoneHealth[] health;
    private final Verdict failVerdict;
    private final String failWhy;
    private final ConcurrentHashMap<IpAddress, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private final Origin.DnsblClean cleanOrigin;

    /**
     * @param executor where DNS completions run
     * @throws IllegalStateException when a table is missing and may not be created
     */
    public DnsblGate(Config config, Tables tables, Banner banner, SeedMetrics metrics, Clock clock, Executor executor) {
        this.config = Objects.requireNonNull(config, "config");
        this.tables = Objects.requireNonNull(tables, "tables");
        this.banner = Objects.requireNonNull(banner, "banner");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        for (String t : List.of(config.blackTable(), config.cacheTable())) {
            if (!tables.exists(t)) {
                if (!config.createTables()) {
                    throw new IllegalStateException("dnsbl: table <" + t + "> does not exist (define it in pf.conf or let the gate create it)");
                }
                tables.create(t);
                log.info("created table <{}>", t);
            }
        }
        this.resolver = new DnsblResolver(config.resolver(), config.timeout(), config.codes(), executor);
        this.health = new ZoneHealth[config.zones().size()];
        for (int i = 0; i < health.length; i++) {
            String zone = config.zones().get(i);
            metrics.dnsblZoneBackedOff.labelValues(zone).set(0);
            health[i] = new ZoneHealth(zone, 5, 2 * config.timeout().toNanos(), 10_000_000_000L, 300_000_000_000L,
                    v -> metrics.dnsblZoneBackedOff.labelValues(zone).set(v));
        }
        this.failVerdict = config.dropOnFailure() ? Verdict.DROP : Verdict.PASS;
        this.failWhy = config.dropOnFailure() ? "drop" : "pass";
        this.cleanOrigin = new Origin.DnsblClean(String.join(" ", config.zones()));
    }

    @Override
    public String name() {
        return "dnsbl";
    }

    /** Closes the DNS sockets: lookups in flight fail and their packets get the failure verdict. */
    @Override
    public void close() {
        resolver.close();
    }

    /** Sources being looked up now. */
    public int pendingSources() {
        return pending.size();
    }

    /** Packets waiting for a verdict now. */
    public int waitingPackets() {
        return waiting.get();
    }

    /** True while a zone is backed off. */
    public boolean backedOff(String zone) {
        int i = config.zones().indexOf(zone);
        return i >= 0 && health[i].backedOff();
    }

    private void answer(Consumer<Verdict> v, Verdict verdict, String why) {
        metrics.dnsblPackets.labelValues(verdict == Verdict.DROP ? "drop" : "pass", why).inc();
        v.accept(verdict);
    }

    @Override
    public void divert(DivertedPacket packet, Consumer<Verdict> verdict) {
        PacketFields f = PacketFields.decode(packet.data());
        if (f == null) {
            answer(verdict, failVerdict, "undecodable");
            return;
        }
        IpAddress src = f.src();
        while (true) {
            // The pending entry first, the tables second: an entry is removed only after its
            // table write, so "no entry" followed by "not in the tables" means no verdict yet.
            Pending p = pending.get(src);
            if (p == null) {
                if (tables.matches(config.blackTable(), src)) {
                    answer(verdict, Verdict.DROP, "black");
                    return;
                }
                if (tables.matches(config.cacheTable(), src)) {
                    answer(verdict, Verdict.PASS, "cache");
                    return;
                }
            }
            if (p != null) {
                Verdict decided;
                synchronized (p) {
                    decided = p.decided;
                    if (decided == null) {
                        if (p.waiters.size() >= config.maxWaitingPerSource() || !reserveWaiting()) {
                            decided = null;
                        } else {
                            p.waiters.add(verdict);
                            return;
                        }
                    }
                }
                if (decided != null) {
                    answer(verdict, decided, "decided");
                } else {
                    answer(verdict, failVerdict, "overflow");
                }
                return;
            }
            if (pending.size() >= config.maxPendingSources() || !reserveWaiting()) {
                answer(verdict, failVerdict, "overflow");
                return;
            }
            Pending np = new Pending(f, config.zones().size(), System.nanoTime());
            np.waiters.add(verdict);
            synchronized (np) {
                if (pending.putIfAbsent(src, np) != null) {
                    waiting.decrementAndGet();
                    continue;
                }
            }
            start(src, np);
            return;
        }
    }

    private boolean reserveWaiting() {
        while (true) {
            int w = waiting.get();
            if (w >= config.maxWaitingTotal()) return false;
            if (waiting.compareAndSet(w, w + 1)) return true;
        }
    }

    private void start(IpAddress src, Pending p) {
        long now = System.nanoTime();
        for (int i = 0; i < health.length; i++) {
            String zone = config.zones().get(i);
            int zi = i;
            if (health[i].skip(now)) {
                metrics.dnsblLookups.labelValues(zone, "backed_off").inc();
                onAnswer(src, p, new DnsblAnswer.LookupFailed(zone, "zone backed off"), zi, false);
                continue;
            }
            long t0 = System.nanoTime();
            resolver.lookup(src, zone).thenAccept(a -> {
                metrics.dnsblLatency.labelValues(zone).observe((System.nanoTime() - t0) / 1e9);
                metrics.dnsblLookups.labelValues(zone, switch (a) {
                    case DnsblAnswer.Listed l -> "listed";
                    case DnsblAnswer.NotListed n -> "not_listed";
                    case DnsblAnswer.LookupFailed x -> "failed";
                }).inc();
                onAnswer(src, p, a, zi, true);
            });
        }
    }

    private void onAnswer(IpAddress src, Pending p, DnsblAnswer a, int zoneIndex, boolean asked) {
        if (asked) {
            if (a instanceof DnsblAnswer.LookupFailed x) health[zoneIndex].failure(System.nanoTime(), x.reason());
            else health[zoneIndex].success();
        }
        List<Consumer<Verdict>> toAnswer;
        Verdict v;
        String why;
        synchronized (p) {
            if (p.decided != null) return; // a listing decided already
            p.remaining--;
            if (a instanceof DnsblAnswer.LookupFailed x && p.failure == null) p.failure = x;
            if (a instanceof DnsblAnswer.Listed) {
                v = Verdict.DROP;
                why = "listed";
            } else if (p.remaining > 0) {
                return;
            } else if (p.failure != null) {
                v = failVerdict;
                why = "failed";
            } else {
                v = Verdict.PASS;
                why = "clean";
            }
            p.decided = v;
            toAnswer = List.copyOf(p.waiters);
            p.waiters.clear();
        }
        waiting.addAndGet(-toAnswer.size());
        for (Consumer<Verdict> c : toAnswer) {
            try {
                answer(c, v, why);
            } catch (RuntimeException e) {
                log.error("verdict for {} failed", src, e);
            }
        }
        record(src, p, a, why);
    }

    private void record(IpAddress src, Pending p, DnsblAnswer a, String why) {
        Banner.Request req;
        switch (why) {
            case "listed" -> {
                DnsblAnswer.Listed l = (DnsblAnswer.Listed) a;
                log.info(Tripwire.NOTICE, "DNSBL  {} [{}]", p.first.flow(), l.zone());
                req = new Banner.Request(config.blackTable(), src,
                        config.blackLifetime() == null ? null : clock.instant().plus(config.blackLifetime()),
                        new Origin.Dnsbl(l.zone(), l.answer().toString()), "dnsbl", r -> pending.remove(src, p));
            }
            case "clean" -> {
                log.info("CLEAN  {}", p.first.flow());
                req = new Banner.Request(config.cacheTable(), src,
                        config.cacheLifetime() == null ? null : clock.instant().plus(config.cacheLifetime()),
                        cleanOrigin, null, r -> pending.remove(src, p));
            }
            default -> {
                log.debug("FAILED {} ({}: {})", p.first.flow(), p.failure.zone(), p.failure.reason());
                pending.remove(src, p);
                return;
            }
        }
        if (banner.submit(req) != Banner.Submitted.QUEUED) {
            log.warn("table write queue full: {} not recorded in <{}>", src, req.table());
            pending.remove(src, p);
        }
    }
}
