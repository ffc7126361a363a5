package dev.palisade.services.payload.url;

import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.DiverterProvider;
import dev.palisade.services.payload.DomainList;
import dev.palisade.services.payload.DomainLists;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code diverter "urlfilter" port N { block RULE...; block-list "FILE"; allow RULE...; allow-list "FILE";
 * default pass|block; action drop|rst; ports P...; max-head BYTES; flows N }}.
 */
public final class UrlFilterProvider implements DiverterProvider {

    @Override
    public String name() {
        return "urlfilter";
    }

    @Override
    public String description() {
        return "allows or blocks TCP connections by TLS SNI or HTTP Host against domain lists";
    }

    @Override
    public Diverter create(DiverterConfig c, DiverterContext context) {
        c.checkKeys(Set.of("block", "block-list", "allow", "allow-list", "default", "action", "ports", "max-head", "flows"));
        DomainList block = DomainLists.from(c, "block", "block-list");
        DomainList allow = DomainLists.from(c, "allow", "allow-list");
        DiverterConfig.Entry def = c.one("default");
        boolean defaultBlock = false;
        if (def != null) {
            c.expectArgs(def, 1, 1);
            defaultBlock = c.choiceArg(def, 0, "pass", "block").equals("block");
        }
        if (block.isEmpty() && !defaultBlock) throw c.error("nothing to block: add \"block example.com\" lines or \"default block\"");
        DiverterConfig.Entry act = c.one("action");
        boolean rst = false;
        if (act != null) {
            c.expectArgs(act, 1, 1);
            rst = c.choiceArg(act, 0, "drop", "rst").equals("rst");
        }
        Set<Integer> ports = new HashSet<>();
        for (DiverterConfig.Entry e : c.all("ports")) {
            c.expectArgs(e, 1, Integer.MAX_VALUE);
            for (int i = 0; i < e.argCount(); i++) ports.add(c.intArg(e, i, 1, 65535));
        }
        int maxHead = c.integer("max-head", 16384, 512, 65536);
        int flows = c.integer("flows", 65536, 1, 10_000_000);
        PrometheusRegistry reg = context.service(PrometheusRegistry.class).orElseGet(PrometheusRegistry::new);
        return new UrlFilterDiverter(c.port(), new UrlFilterDiverter.Settings(block, allow, defaultBlock, rst, ports, maxHead, flows),
                context, reg);
    }
}
