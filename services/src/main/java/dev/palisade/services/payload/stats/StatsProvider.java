package dev.palisade.services.payload.stats;

import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.DiverterProvider;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Set;

/** {@code diverter "stats" port N { flows N; top-talkers K; export-flows N }}. */
public final class StatsProvider implements DiverterProvider {

    @Override
    public String name() {
        return "stats";
    }

    @Override
    public String description() {
        return "per-flow and per-port packet/byte counters and top talkers, as metrics; passes everything";
    }

    @Override
    public Diverter create(DiverterConfig c, DiverterContext context) {
        c.checkKeys(Set.of("flows", "top-talkers", "export-flows"));
        int flows = c.integer("flows", 65536, 1, 10_000_000);
        int k = c.integer("top-talkers", 100, 1, 100_000);
        int export = c.integer("export-flows", 20, 0, 10_000);
        StatsDiverter d = new StatsDiverter(c.port(), flows, k, export);
        PrometheusRegistry reg = context.service(PrometheusRegistry.class).orElse(null);
        if (reg != null) StatsCollector.register(reg, d);
        return d;
    }
}
