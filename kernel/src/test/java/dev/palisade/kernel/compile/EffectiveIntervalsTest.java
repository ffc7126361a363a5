package dev.palisade.kernel.compile;

import dev.palisade.core.lang.Decl.TableEntry;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EffectiveIntervalsTest {

    static TableEntry e(String s) {
        boolean neg = s.startsWith("!");
        return new TableEntry(neg, IpPrefix.parse(neg ? s.substring(1) : s));
    }

    static List<String> eff(String... entries) {
        List<TableEntry> l = new ArrayList<>();
        for (String s : entries) l.add(e(s));
        return EffectiveIntervals.effectiveIntervals(l).stream().map(IpPrefix::toString).toList();
    }

    @Test
    void positiveEntriesStayAsTheyAre() {
        assertEquals(List.of("10.0.0.0/8", "192.0.2.1"), eff("192.0.2.1", "10.0.0.0/8"));
    }

    @Test
    void aNegatedEntryPunchesAHole() {
        assertEquals(List.of("10.0.0.0/25", "10.0.0.128/26", "10.0.0.192/27", "10.0.0.224/28", "10.0.0.240/29",
                "10.0.0.248/30", "10.0.0.252/31", "10.0.0.255"), eff("10.0.0.0/24", "!10.0.0.254"));
    }

    @Test
    void aLongerPositiveEntryInsideTheHoleFillsIt() {
        assertEquals(List.of("10.0.0.0/25", "10.0.0.130", "10.0.0.192/26"), eff("10.0.0.0/24", "!10.0.0.128/26", "10.0.0.130"));
    }

    @Test
    void negatedAloneMatchesNothingAndBothFormsCountAsNegated() {
        assertEquals(List.of(), eff("!10.0.0.0/8"));
        assertEquals(List.of(), eff("10.0.0.0/8", "!10.0.0.0/8"));
        assertEquals(List.of("2001:db8::/33"), eff("2001:db8::/32", "!2001:db8:8000::/33"));
    }

    /** The effective prefixes match exactly the addresses whose longest matching entry is positive. */
    @Test
    void agreesWithLongestPrefixMatchOnRandomTables() {
        Random rnd = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<TableEntry> entries = new ArrayList<>();
            for (int i = 0; i < 1 + rnd.nextInt(8); i++) {
                int len = 20 + rnd.nextInt(13);
                entries.add(new TableEntry(rnd.nextBoolean(),
                        new IpPrefix(IpAddress.ofV4(0x0a000000 | rnd.nextInt(1 << 12) << 8), len)));
            }
            List<IpPrefix> eff = EffectiveIntervals.effectiveIntervals(entries);
            for (int i = 0; i < eff.size(); i++) {
                for (int j = i + 1; j < eff.size(); j++) {
                    assertTrue(!EffectiveIntervals.covers(eff.get(i), eff.get(j))
                            && !EffectiveIntervals.covers(eff.get(j), eff.get(i)), "overlap " + eff);
                }
            }
            for (int k = 0; k < 300; k++) {
                IpAddress a = IpAddress.ofV4(0x0a000000 | rnd.nextInt(1 << 20));
                TableEntry best = null;
                for (TableEntry t : entries) {
                    if (t.prefix().contains(a) && (best == null || t.prefix().length() > best.prefix().length()
                            || (t.prefix().length() == best.prefix().length() && t.negated()))) best = t;
                }
                boolean want = best != null && !best.negated();
                boolean got = eff.stream().anyMatch(p -> p.contains(a));
                assertEquals(want, got, () -> a + " in " + entries + " -> " + eff);
            }
        }
    }
}
