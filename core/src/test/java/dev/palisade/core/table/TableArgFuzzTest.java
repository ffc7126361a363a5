package dev.palisade.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Table command arguments are user input: any text either becomes an entry
 * or one error line naming it; the command never throws, and the summary
 * counts only the valid arguments.
 */
class TableArgFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void anyArgumentIsAnEntryOrAnError(String arg) {
        if (arg == null) return;
        TableSet set = new TableSet(Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC), Allowlist.EMPTY);
        CommandResult r = set.run(new TableCommand("t", TableCommand.Op.ADD, List.of(arg, "192.0.2.1"), false, false, 1, null));
        Object parsed = TableSet.parseArg(arg, false);
        if (parsed instanceof TableSet.Arg) {
            assertEquals(0, r.exit(), r.err().toString());
        } else {
            assertEquals(1, r.exit());
            assertTrue(r.err().stream().anyMatch(l -> l.startsWith("pfctl: \"")), r.err().toString());
        }
        assertTrue(set.table("t").size() >= 1, "the valid argument was applied");
        assertTrue(r.err().stream().anyMatch(l -> l.matches("\\d/\\d addresses added\\.")), r.err().toString());
    }
}
