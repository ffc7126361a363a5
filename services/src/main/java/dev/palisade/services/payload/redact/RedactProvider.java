package dev.palisade.services.payload.redact;

import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.DiverterProvider;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code diverter "redact" port N { pattern card|ssn alert|mask; regex "RE" alert|mask [name NAME]; carry BYTES; flows N }}.
 * Without any pattern line: {@code pattern card mask; pattern ssn mask}.
 */
public final class RedactProvider implements DiverterProvider {

    static final int DEFAULT_CARRY = 64;
    static final int DEFAULT_FLOWS = 16384;

    @Override
    public String name() {
        return "redact";
    }

    @Override
    public String description() {
        return "masks or alerts on card numbers, US SSNs and regexes in TCP/UDP payloads";
    }

    @Override
    public Diverter create(DiverterConfig c, DiverterContext context) {
        c.checkKeys(Set.of("pattern", "regex", "carry", "flows"));
        List<RedactRule> rules = new ArrayList<>();
        int regexes = 0;
        for (DiverterConfig.Entry e : c.entries()) {
            switch (e.key()) {
                case "pattern" -> {
                    c.expectArgs(e, 2, 2);
                    String kind = c.choiceArg(e, 0, "card", "ssn");
                    if (rules.stream().anyMatch(r -> r.name().equals(kind))) throw c.error(e, "pattern " + kind + " given twice");
                    rules.add(new RedactRule(kind, null, action(c, e, 1)));
                }
                case "regex" -> {
                    if (e.argCount() != 2 && e.argCount() != 4) {
                        throw c.error(e, "expected \"REGEX\" alert|mask [name NAME], got " + e.argCount() + " arguments");
                    }
                    Pattern pat;
                    try {
                        pat = Pattern.compile(e.args().getFirst());
                    } catch (PatternSyntaxException x) {
                        throw c.error(e, "bad regex \"" + e.args().getFirst() + "\": " + x.getDescription() + " at index " + x.getIndex());
                    }
                    regexes++;
                    String name = "regex" + regexes;
                    if (e.argCount() == 4) {
                        c.choiceArg(e, 2, "name");
                        name = e.args().get(3);
                        if (!name.matches("[A-Za-z0-9_.-]+") || name.equals("card") || name.equals("ssn")) {
                            throw c.error(e, "name must be letters, digits, '_', '.' or '-' and not card or ssn, got \"" + name + "\"");
                        }
                    }
                    String n = name;
                    if (rules.stream().anyMatch(r -> r.name().equals(n))) throw c.error(e, "pattern name \"" + n + "\" used twice");
                    rules.add(new RedactRule(name, pat, action(c, e, 1)));
                }
                default -> {}
            }
        }
        if (rules.isEmpty()) {
            rules.add(new RedactRule("card", null, RedactRule.Action.MASK));
            rules.add(new RedactRule("ssn", null, RedactRule.Action.MASK));
        }
        int carry = c.integer("carry", DEFAULT_CARRY, 0, 4096);
        int flows = c.integer("flows", DEFAULT_FLOWS, 1, 10_000_000);
        PrometheusRegistry reg = context.service(PrometheusRegistry.class).orElseGet(PrometheusRegistry::new);
        return new RedactDiverter(c.port(), rules, carry, flows, reg);
    }

    private static RedactRule.Action action(DiverterConfig c, DiverterConfig.Entry e, int i) {
        return RedactRule.Action.valueOf(c.choiceArg(e, i, "alert", "mask").toUpperCase(Locale.ROOT));
    }
}
