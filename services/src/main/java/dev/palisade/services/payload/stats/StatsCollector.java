package dev.palisade.services.payload.stats;

import dev.palisade.core.net.IpAddress;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Exports every {@code stats} diverter of a registry as Prometheus metrics,
 * read at scrape time (nothing per packet). One collector per registry,
 * because a metric name may appear only once in a scrape; each diverter's
 * series carry its divert {@code port} label.
 *
 * <pre>
 * palisade_stats_packets_total{port}                       all packets seen
 * palisade_stats_bytes_total{port}
 * palisade_stats_port_packets_total{port,proto,service_port} per service port
 * palisade_stats_port_bytes_total{port,proto,service_port}
 * palisade_stats_top_talker_bytes{port,address}            estimated bytes sent, top K sources
 * palisade_stats_flow_bytes{port,flow}                      the flows with most bytes (export-flows of them)
 * </pre>
 */
public final class StatsCollector implements MultiCollector {

    private static final Map<PrometheusRegistry, StatsCollector> BY_REGISTRY = new WeakHashMap<>();

    private final List<StatsDiverter> diverters = new CopyOnWriteArrayList<>();

    /** Adds a diverter to the registry's collector (created and registered on first use). */
    public static synchronized void register(PrometheusRegistry registry, StatsDiverter d) {
        StatsCollector c = BY_REGISTRY.computeIfAbsent(registry, r -> {
            StatsCollector n = new StatsCollector();
            r.register(n);
            return n;
        });
        c.diverters.add(d);
    }

    @Override
    public MetricSnapshots collect() {
        var packets = CounterSnapshot.builder().name("palisade_stats_packets").help("Packets seen by the stats diverter");
        var bytes = CounterSnapshot.builder().name("palisade_stats_bytes").help("Bytes (whole IP packets) seen by the stats diverter");
        var portPackets = CounterSnapshot.builder().name("palisade_stats_port_packets").help("Packets by service port (the lower port of a flow)");
        var portBytes = CounterSnapshot.builder().name("palisade_stats_port_bytes").help("Bytes by service port (the lower port of a flow)");
        var talkers = GaugeSnapshot.builder().name("palisade_stats_top_talker_bytes")
                .help("Estimated bytes sent by the top source addresses (Space-Saving; may overstate by its error)");
        var flowBytes = GaugeSnapshot.builder().name("palisade_stats_flow_bytes").help("Bytes of the busiest tracked flow directions");
        for (StatsDiverter d : diverters) {
            String port = Integer.toString(d.port());
            // One consistent view: the totals, ports, talkers and flows of a scrape must describe the
            // same packets (read one by one, a busy queue made packets_total lag the per-port counts).
            long[] t;
            List<StatsDiverter.PortCount> ports;
            List<SpaceSaving.Entry<IpAddress>> top;
            List<StatsDiverter.FlowCount> busiest;
            synchronized (d) {
                t = d.totals();
                ports = d.ports();
                top = d.topTalkers();
                busiest = d.topFlows(d.exportFlows());
            }
            packets.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(t[0]).labels(Labels.of("port", port)).build());
            bytes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(t[1]).labels(Labels.of("port", port)).build());
            for (StatsDiverter.PortCount pc : ports) {
                Labels l = Labels.of("port", port, "proto", pc.proto(), "service_port", Integer.toString(pc.port()));
                portPackets.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(pc.packets()).labels(l).build());
                portBytes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(pc.bytes()).labels(l).build());
            }
            for (var e : top) {
                talkers.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(e.count())
                        .labels(Labels.of("port", port, "address", e.key().toString())).build());
            }
            for (StatsDiverter.FlowCount fc : busiest) {
                flowBytes.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(fc.bytes())
                        .labels(Labels.of("port", port, "flow", fc.flow().toString())).build());
            }
        }
        return MetricSnapshots.of(packets.build(), bytes.build(), portPackets.build(), portBytes.build(), talkers.build(), flowBytes.build());
    }
}
