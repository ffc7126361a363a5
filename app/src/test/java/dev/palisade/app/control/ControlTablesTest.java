package dev.palisade.app.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.app.daemon.Palisaded;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ControlTables} against a real palisaded core over its control socket: every operation; origins and expiry travel. */
class ControlTablesTest {

    @TempDir
    Path tmp;

    /** A raw entry request, for bad input the typed client never sends; returns exit status and standard error. */
    static String[] raw(Path sock, String table, String op, List<String> args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int rc = ControlClient.call(sock, EntryProtocol.request(table, op, args), new PrintWriter(o), new PrintWriter(e));
        return new String[] {Integer.toString(rc), o.toString(), e.toString()};
    }

    @Test
    void everyOperationOverTheSocket() throws Exception {
        Path sock = tmp.resolve("p.sock");
        assertThrows(IllegalStateException.class, () -> ControlTables.connect(sock), "no daemon yet");
        try (Palisaded d = Palisaded.start(new Palisaded.Settings(tmp.resolve("state"), sock,
                List.of(IpPrefix.parse("192.0.2.0/24")), Clock.systemUTC(), false))) {
            ControlTables t = ControlTables.connect(sock);
            assertFalse(t.exists("bofh"));
            assertEquals(Tables.AddOutcome.NO_SUCH_TABLE, t.add("bofh", IpPrefix.parse("198.51.100.7"), null, new Origin.Tripwire(700)));
            assertTrue(t.create("bofh"));
            assertFalse(t.create("bofh"));
            IpAddress a = IpAddress.parse("198.51.100.7");
            assertFalse(t.matches("bofh", a));
            Instant exp = Instant.ofEpochSecond(Instant.now().getEpochSecond() + 600);
            assertEquals(Tables.AddOutcome.ADDED,
                    t.add("bofh", IpPrefix.parse("198.51.100.7"), exp, new Origin.Dnsbl("zen.example", "127.0.0.2")));
            assertTrue(t.matches("bofh", a), "an add clears the match cache");
            assertEquals(Tables.AddOutcome.REFRESHED, t.add("bofh", IpPrefix.parse("198.51.100.7"), exp, new Origin.Tripwire(700)));
            assertEquals(Tables.AddOutcome.REFUSED_ALLOWLIST,
                    t.add("bofh", IpPrefix.parse("192.0.2.9"), null, new Origin.Trap("127.0.0.1:2507")));
            var e = d.tables().read(s -> s.why(a)).get(0).entry();
            assertEquals(exp.getEpochSecond(), e.expires());
            assertEquals("tripwire port 700", e.origin().describe());
            assertTrue(t.delete("bofh", IpPrefix.parse("198.51.100.7")));
            assertFalse(t.matches("bofh", a), "a delete clears the match cache");
            assertFalse(t.delete("bofh", IpPrefix.parse("198.51.100.7")));
            t.add("bofh", IpPrefix.parse("203.0.113.0/24"), null, new Origin.Manual("someone"));
            t.add("bofh", IpPrefix.parse("203.0.114.1"), null, new Origin.Pftabled("192.0.2.1"));
            assertEquals(2, t.flush("bofh"));

            String[] bad = raw(sock, "bofh", "add", List.of("10.0.0.300", "0", "tripwire", "7"));
            assertEquals("1", bad[0]);
            assertTrue(bad[2].contains("10.0.0.300"), bad[2]);
            String[] kind = raw(sock, "bofh", "add", List.of("10.0.0.3", "0", "martian", "7"));
            assertTrue(kind[2].contains("unknown origin kind \"martian\""), kind[2]);
            String[] op = raw(sock, "bofh", "explode", List.of());
            assertTrue(op[2].contains("unknown op \"explode\""), op[2]);
        }
    }
}
