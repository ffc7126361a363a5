package dev.palisade.services.payload.stats;

import static dev.palisade.services.payload.Pkts.tcp;
import static dev.palisade.services.payload.Pkts.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.divert.DiverterConfigParser;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.Verdict;
import dev.palisade.core.net.IpAddress;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void spaceSavingKeepsHeavyHittersWithBoundedError() {
        SpaceSaving<Integer> s = new SpaceSaving<>(10);
        Map<Integer, Long> truth = new HashMap<>();
        Random r = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            // Keys 0..4 are heavy (half of the weight); 10,000 light keys share the rest.
            int key = r.nextBoolean() ? r.nextInt(5) : 100 + r.nextInt(10_000);
            long w = 1 + r.nextInt(1500);
            s.add(key, w);
            truth.merge(key, w, Long::sum);
        }
        List<SpaceSaving.Entry<Integer>> top = s.top();
        assertEquals(10, top.size());
        for (int heavy = 0; heavy < 5; heavy++) {
            int h = heavy;
            var e = top.stream().filter(x -> x.key() == h).findFirst().orElseThrow(() -> new AssertionError("heavy key " + h + " missing"));
            long t = truth.get(h);
            assertTrue(e.count() >= t && e.count() - e.error() <= t, "estimate bounds for " + h);
        }
        assertEquals(truth.values().stream().mapToLong(Long::longValue).sum(), s.total());
    }

    @Test
    void countsPortsFlowsAndTalkersAndExports() throws Exception {
        PrometheusRegistry reg = new PrometheusRegistry();
        StatsDiverter d = (StatsDiverter) new StatsProvider().create(
                DiverterConfigParser.parseOne("diverter \"stats\" port 900 { flows 3; top-talkers 2 }", "t"),
                DiverterContext.of(p -> {}, Map.of(PrometheusRegistry.class, reg)));
        byte[] req = tcp("10.0.0.1", 40000, "10.0.0.2", 443, 1, "x".repeat(100));
        byte[] resp = tcp("10.0.0.2", 443, "10.0.0.1", 40000, 1, "y".repeat(1000));
        byte[] dns = udp("2001:db8::1", 5353, "2001:db8::2", 53, "q");
        for (int i = 0; i < 3; i++) assertSame(Verdict.PASS, d.judge(req));
        d.judge(resp);
        d.judge(dns);
        assertEquals(List.of(new StatsDiverter.PortCount("tcp", 443, 4, 3L * req.length + resp.length),
                new StatsDiverter.PortCount("udp", 53, 1, dns.length)), d.ports());
        var flows = d.topFlows(10);
        assertEquals(3, flows.size());
        assertEquals("tcp 10.0.0.2:443 > 10.0.0.1:40000", flows.getFirst().flow().toString());
        assertEquals("udp [2001:db8::1]:5353 > [2001:db8::2]:53", flows.getLast().flow().toString());
        assertEquals(IpAddress.parse("10.0.0.2"), d.topTalkers().getFirst().key());
        for (int p = 1; p <= 5; p++) d.judge(tcp("10.0.0.9", p, "10.0.0.2", 80, 1, "z"));
        assertEquals(3, d.trackedFlows(), "flow table bounded");

        Map<String, Double> series = new HashMap<>();
        for (var snap : reg.scrape()) {
            for (var dp : snap.getDataPoints()) {
                double v = dp instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot c ? c.getValue()
                        : ((io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot) dp).getValue();
                series.put(snap.getMetadata().getName() + dp.getLabels(), v);
            }
        }
        assertEquals(4.0, series.get("palisade_stats_port_packets{port=\"900\",proto=\"tcp\",service_port=\"443\"}"), series.toString());
        assertEquals(10.0, series.get("palisade_stats_packets{port=\"900\"}"), series.toString());
        assertTrue(series.containsKey("palisade_stats_top_talker_bytes{address=\"10.0.0.2\",port=\"900\"}"), series.toString());
    }
}
