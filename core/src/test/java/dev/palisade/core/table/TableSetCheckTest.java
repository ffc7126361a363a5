package dev.palisade.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.palisade.core.net.IpPrefix;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link TableSet#check} answers what {@link TableSet#add} then does, and changes nothing. */
class TableSetCheckTest {

    @Test
    void checkAnswersWhatAddDoesAndChangesNothing() {
        TableSet s = new TableSet(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC),
                new Allowlist(List.of(new Allowlist.Allowed(IpPrefix.parse("10.0.0.0/8"), "test"))));
        List<Mutation> journal = new ArrayList<>();
        s.setJournal(journal::add);
        s.create("bad", TableFlags.NONE);
        s.create("fixed", new TableFlags(true, true, false));
        Origin auto = new Origin.Tripwire(22);
        record Case(String table, String prefix, Origin origin) {}
        List<Case> cases = List.of(
                new Case("bad", "198.51.100.7", auto),           // new
                new Case("bad", "198.51.100.7", auto),           // there: refreshed
                new Case("bad", "10.1.2.3", auto),               // allowlisted
                new Case("bad", "10.1.2.4", new Origin.Manual("t")), // the allowlist does not refuse an operator
                new Case("fixed", "198.51.100.8", auto),         // const
                new Case("none", "198.51.100.9", auto));         // no such table
        List<Tables.AddOutcome> expected = List.of(Tables.AddOutcome.ADDED, Tables.AddOutcome.REFRESHED,
                Tables.AddOutcome.REFUSED_ALLOWLIST, Tables.AddOutcome.ADDED, Tables.AddOutcome.REFUSED_CONST,
                Tables.AddOutcome.NO_SUCH_TABLE);
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            IpPrefix p = IpPrefix.parse(c.prefix() + "/32");
            int before = journal.size();
            Tables.AddOutcome checked = s.check(c.table(), p, c.origin());
            assertEquals(before, journal.size(), "check journals nothing: " + c);
            assertEquals(expected.get(i), checked, "check: " + c);
            assertEquals(checked, s.add(c.table(), p, null, c.origin()), "add answers what check did: " + c);
        }
        assertEquals(0, TableSet.expirySeconds(null));
        assertEquals(1, TableSet.expirySeconds(Instant.EPOCH), "a lifetime never becomes 0 (never)");
        assertEquals(1767229200L, TableSet.expirySeconds(Instant.parse("2026-01-01T01:00:00.900Z")));
    }
}
