package dev.palisade.services.payload.dns;

import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.DiverterProvider;
import dev.palisade.core.net.IpAddress;
import dev.palisade.services.payload.DomainLists;
import dev.palisade.services.payload.DomainList;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Set;

/**
 * {@code diverter "dns-rewrite" port N { name RULE...; list "FILE"; sinkhole ADDR; action sinkhole|nxdomain; ttl S; dns-port 53 }}.
 */
public final class DnsRewriteProvider implements DiverterProvider {

    @Override
    public String name() {
        return "dns-rewrite";
    }

    @Override
    public String description() {
        return "rewrites A/AAAA answers of listed names to a sinkhole, or answers NXDOMAIN";
    }

    @Override
    public Diverter create(DiverterConfig c, DiverterContext context) {
        c.checkKeys(Set.of("name", "list", "sinkhole", "action", "ttl", "dns-port"));
        DomainList list = DomainLists.from(c, "name", "list");
        if (list.isEmpty()) throw c.error("no names: add \"name example.com\" or \"list \\\"FILE\\\"\" lines");
        byte[] s4 = IpAddress.parse("0.0.0.0").toBytes();
        byte[] s6 = IpAddress.parse("::").toBytes();
        boolean had4 = false;
        boolean had6 = false;
        for (DiverterConfig.Entry e : c.all("sinkhole")) {
            c.expectArgs(e, 1, 2);
            for (int i = 0; i < e.argCount(); i++) {
                IpAddress a = c.addressArg(e, i);
                if (a.v6()) {
                    if (had6) throw c.error(e, "more than one IPv6 sinkhole address");
                    had6 = true;
                    s6 = a.toBytes();
                } else {
                    if (had4) throw c.error(e, "more than one IPv4 sinkhole address");
                    had4 = true;
                    s4 = a.toBytes();
                }
            }
        }
        DiverterConfig.Entry act = c.one("action");
        DnsResponseRewriter.Mode mode = DnsResponseRewriter.Mode.SINKHOLE;
        if (act != null) {
            c.expectArgs(act, 1, 1);
            mode = c.choiceArg(act, 0, "sinkhole", "nxdomain").equals("nxdomain")
                    ? DnsResponseRewriter.Mode.NXDOMAIN : DnsResponseRewriter.Mode.SINKHOLE;
        }
        int ttl = c.integer("ttl", -1, 0, 86400);
        int dnsPort = c.integer("dns-port", 53, 1, 65535);
        PrometheusRegistry reg = context.service(PrometheusRegistry.class).orElseGet(PrometheusRegistry::new);
        return new DnsRewriteDiverter(c.port(), dnsPort, new DnsResponseRewriter(list, s4, s6, mode, ttl), reg);
    }
}
