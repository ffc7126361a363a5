package dev.palisade.core.eval;

import dev.palisade.core.lang.Decl;
import dev.palisade.core.lang.Ruleset;
import dev.palisade.core.table.Mutation;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableFlags;
import dev.palisade.core.table.TableSet;

/** Fills a {@link TableSet} with a ruleset's table definitions and their inline entries (negated ones too). */
public final class RulesetTables {
    private RulesetTables() {
    }

    /**
     * Creates every table the ruleset defines and adds its inline entries.
     * XXX {@code file "path"} entries are not read here.
     */
    public static void load(Ruleset rs, TableSet tables, long now) {
        for (Decl.TableDef t : rs.tables()) {
            tables.apply(new Mutation.Create(t.name(), new TableFlags(t.persist(), t.isConst(), t.counters()), now), now);
            for (Decl.TableEntry e : t.entries()) {
                tables.apply(new Mutation.Add(t.name(), e.prefix(), e.negated(), now, 0,
                        new Origin.Ruleset("pf.conf", 0)), now);
            }
        }
    }
}
