package dev.palisade.services.payload;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Get-or-create of the payload diverters' counters in a registry: several
 * diverters of one type (one per divert port) share a metric family and
 * tell themselves apart by the {@code port} label, while
 * {@link PrometheusRegistry#register} refuses a name twice.
 */
public final class Metrics {

    private static final Map<PrometheusRegistry, Map<String, Counter>> COUNTERS = new WeakHashMap<>();

    private Metrics() {}

    /** The counter {@code name} (without {@code _total}) in {@code registry}, created on first use. */
    public static synchronized Counter counter(PrometheusRegistry registry, String name, String help, String... labels) {
        Map<String, Counter> m = COUNTERS.computeIfAbsent(registry, r -> new HashMap<>());
        return m.computeIfAbsent(name, n -> Counter.builder().name(n).help(help).labelNames(labels).register(registry));
    }
}
