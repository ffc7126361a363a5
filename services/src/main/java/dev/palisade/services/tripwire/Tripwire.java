package dev.palisade.services.tripwire;

import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import dev.palisade.services.Banner;
import dev.palisade.services.Enforcer;
import dev.palisade.services.PacketFields;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.TableNames;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * The tripwire diverter, bofh-divert's job: every packet diverted to its port
 * is dropped and its source banned.
 *
 * <p>Why this shape: the queue reader must not block, so the ban (a durable
 * table write and a conntrack delete) goes through a {@link Banner}; the
 * packet is dropped at once whatever becomes of the ban. A source that is
 * already in the table (and whose entry needs no lifetime refresh) is only
 * counted: a banned scanner's stray packets must not flood the log or the
 * store. When the ban queue is idle, the reader first puts the source into
 * the kernel's set itself through the {@link Enforcer} (one netlink
 * transaction), so that the kernel drops the scanner's next packet without
 * waiting for two thread hand-offs and the journal; under a flood the ban
 * queue has a backlog and bans go in batches as before. The log line, bofh-divert's {@code ATTACKER_IP:PORT -> LOCAL_IP:PORT},
 * is written when the ban is new, at notice level (INFO with the
 * {@code NOTICE} marker). An allowlisted source is logged once (up to
 * {@value #ALLOWLIST_LOG_MEMORY} addresses remembered) and counted.
 */
public final class Tripwire implements Diverter {

    /** The marker of notice-level lines (syslog LOG_NOTICE in the originals). */
    public static final Marker NOTICE = MarkerFactory.getMarker("NOTICE");
    static final int ALLOWLIST_LOG_MEMORY = 4096;

    private static final Logger log = LoggerFactory.getLogger("palisade.tripwire");

    /**
     * @param port        the divert port (queue number), for the entries' origin
     * @param table       the ban table
     * @param lifetime    how long a ban lasts, or null for ever
     * @param createTable create the table when it is missing, instead of refusing to start
     */
    public record Config(int port, String table, Duration lifetime, boolean createTable) {
        public Config {
            if (port < 1 || port > 65535) throw new IllegalArgumentException("tripwire: divert port must be 1 to 65535, got " + port);
            TableNames.check("tripwire", table);
            if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
                throw new IllegalArgumentException("tripwire: lifetime must be positive, got " + lifetime);
            }
        }
    }

    private final Config config;
    private final Tables tables;
    private final Banner banner;
    private final SeedMetrics metrics;
    private final Clock clock;
    private final Enforcer enforcer;
    private final Origin origin;
    private final Set<IpAddress> allowlistLogged = ConcurrentHashMap.newKeySet();

    /**
     * @throws IllegalStateException when the table does not exist and {@code createTable} is false
     */
    public Tripwire(Config config, Tables tables, Banner banner, SeedMetrics metrics, Clock clock) {
        this(config, tables, banner, metrics, clock, Enforcer.NONE);
    }

    /**
     * As {@link #Tripwire(Config, Tables, Banner, SeedMetrics, Clock)}, with the kernel's fast path
     * ({@link Enforcer}) for bans made while the ban queue is idle.
     *
     * @throws IllegalStateException when the table does not exist and {@code createTable} is false
     */
    public Tripwire(Config config, Tables tables, Banner banner, SeedMetrics metrics, Clock clock, Enforcer enforcer) {
        this.enforcer = Objects.requireNonNull(enforcer, "enforcer");
        this.config = Objects.requireNonNull(config, "config");
        this.tables = Objects.requireNonNull(tables, "tables");
        this.banner = Objects.requireNonNull(banner, "banner");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.origin = new Origin.Tripwire(config.port());
        if (!tables.exists(config.table())) {
            if (!config.createTable()) {
                throw new IllegalStateException("tripwire: table <" + config.table() + "> does not exist"
                        + " (define it in pf.conf or let the tripwire create it)");
            }
            tables.create(config.table());
            log.info("created table <{}>", config.table());
        }
    }

    @Override
    public String name() {
        return "tripwire";
    }

    @Override
    public void divert(DivertedPacket packet, Consumer<Verdict> verdict) {
        verdict.accept(Verdict.DROP);
        PacketFields f = PacketFields.decode(packet.data());
        if (f == null) {
            metrics.tripwirePackets.labelValues("undecodable").inc();
            return;
        }
        IpAddress src = f.src().unmapV4();
        if (config.lifetime() == null && tables.matches(config.table(), src)) {
            metrics.tripwirePackets.labelValues("already_banned").inc();
            return;
        }
        Instant expires = config.lifetime() == null ? null : clock.instant().plus(config.lifetime());
        // idle queue: nothing to batch with, so the kernel push is made here, before the hand-off (see Enforcer)
        if (banner.backlog() == 0) enforcer.enforceNow(config.table(), src, expires, origin);
        Banner.Submitted s = banner.submit(new Banner.Request(config.table(), src, expires, origin, "tripwire",
                r -> done(f, src, r)));
        switch (s) {
            case COALESCED -> metrics.tripwirePackets.labelValues("already_banned").inc();
            case QUEUE_FULL, CLOSED -> {
                metrics.tripwirePackets.labelValues("ban_dropped").inc();
                log.warn("ban queue {}: {} not banned", s == Banner.Submitted.CLOSED ? "closed" : "full", f.flow());
            }
            case QUEUED -> { }
        }
    }

    private void done(PacketFields f, IpAddress src, Banner.Result r) {
        if (!(r instanceof Banner.Result.Done(Tables.AddOutcome o))) {
            metrics.tripwirePackets.labelValues("error").inc();
            return;
        }
        switch (o) {
            case ADDED -> {
                metrics.tripwirePackets.labelValues("banned").inc();
                log.info(NOTICE, "{}", f.flow());
            }
            case REFRESHED -> metrics.tripwirePackets.labelValues("already_banned").inc();
            case REFUSED_ALLOWLIST -> {
                metrics.tripwirePackets.labelValues("allowlisted").inc();
                if (allowlistLogged.size() < ALLOWLIST_LOG_MEMORY && allowlistLogged.add(src)) {
                    log.info(NOTICE, "{} (allowlisted, not banned)", f.flow());
                }
            }
            case NO_SUCH_TABLE, REFUSED_CONST -> {
                metrics.tripwirePackets.labelValues("error").inc();
                log.error("cannot ban {}: table <{}> {}", src, config.table(),
                        o == Tables.AddOutcome.NO_SUCH_TABLE ? "no longer exists" : "is const");
            }
        }
    }
}
