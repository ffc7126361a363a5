package dev.palisade.services;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * The seed services' Prometheus metrics, registered once in the registry the
 * application exports at {@code /metrics}. One instance per registry: the
 * services share it (a metric name can be registered only once).
 *
 * <ul>
 *   <li>{@code palisade_bans_total{reason}}: addresses newly added to a ban table
 *       (reason tripwire, trap, dnsbl)</li>
 *   <li>{@code palisade_ban_refused_total{reason,why}}: bans not done (allowlist,
 *       no_table, const, queue_full, error)</li>
 *   <li>{@code palisade_tripwire_packets_total{result}}: banned, already_banned,
 *       allowlisted, undecodable</li>
 *   <li>{@code palisade_trap_connections_total{listener}}</li>
 *   <li>{@code palisade_dnsbl_lookups_total{zone,result}}: listed, not_listed, failed, backed_off</li>
 *   <li>{@code palisade_dnsbl_lookup_seconds{zone}}: latency histogram of answered lookups</li>
 *   <li>{@code palisade_dnsbl_packets_total{verdict,why}}: black, cache, listed, clean,
 *       failed, decided, overflow, undecodable</li>
 *   <li>{@code palisade_dnsbl_zone_backed_off{zone}}: 1 while a failing zone is skipped, else 0</li>
 * </ul>
 */
public final class SeedMetrics {

    public final Counter bans;
    public final Counter banRefused;
    public final Counter tripwirePackets;
    public final Counter trapConnections;
    public final Counter dnsblLookups;
    public final Histogram dnsblLatency;
    public final Counter dnsblPackets;
    public final Gauge dnsblZoneBackedOff;

    public SeedMetrics(PrometheusRegistry registry) {
        bans = Counter.builder().name("palisade_bans_total")
                .help("Addresses newly banned, by reason").labelNames("reason").register(registry);
        banRefused = Counter.builder().name("palisade_ban_refused_total")
                .help("Bans not done, by reason and why").labelNames("reason", "why").register(registry);
        tripwirePackets = Counter.builder().name("palisade_tripwire_packets_total")
                .help("Packets seen by the tripwire, by result").labelNames("result").register(registry);
        trapConnections = Counter.builder().name("palisade_trap_connections_total")
                .help("Connections accepted by trap listeners").labelNames("listener").register(registry);
        dnsblLookups = Counter.builder().name("palisade_dnsbl_lookups_total")
                .help("DNSBL lookups by zone and result").labelNames("zone", "result").register(registry);
        dnsblLatency = Histogram.builder().name("palisade_dnsbl_lookup_seconds")
                .help("DNSBL lookup latency by zone").unit(Unit.SECONDS)
                .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
                .labelNames("zone").register(registry);
        dnsblPackets = Counter.builder().name("palisade_dnsbl_packets_total")
                .help("Packets judged by the DNSBL gate, by verdict and why").labelNames("verdict", "why").register(registry);
        dnsblZoneBackedOff = Gauge.builder().name("palisade_dnsbl_zone_backed_off")
                .help("1 while a failing DNSBL zone is backed off").labelNames("zone").register(registry);
    }

    /** A registry of its own: for tests and tools that export nothing. */
    public static SeedMetrics unregistered() {
        return new SeedMetrics(new PrometheusRegistry());
    }
}
