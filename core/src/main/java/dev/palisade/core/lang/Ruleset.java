package dev.palisade.core.lang;

import java.util.List;

/**
 * A parsed pf.conf: the declarations pfctl echoes as it parses them (macros,
 * {@code set} options, tables, queues, in file order), the effective options,
 * and the expanded rules in evaluation order, numbered from 0.
 */
public record Ruleset(List<Decl> declarations, Options options, List<FilterRule> rules) {
    public Ruleset {
        declarations = List.copyOf(declarations);
        rules = List.copyOf(rules);
        java.util.Objects.requireNonNull(options, "options");
    }

    /** Table definitions, in file order (automatic tables included). */
    public List<Decl.TableDef> tables() {
        return declarations.stream().filter(d -> d instanceof Decl.TableDef).map(d -> (Decl.TableDef) d).toList();
    }
}
