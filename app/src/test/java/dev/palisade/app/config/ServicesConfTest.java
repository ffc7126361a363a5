package dev.palisade.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.net.IpAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServicesConfTest {

    static ServicesConf ok(String text) {
        var r = PalisadeConf.parse("p.conf", text);
        if (r instanceof PalisadeConf.Result.Failed f) throw new AssertionError(String.join("\n", f.errors()));
        return ((PalisadeConf.Result.Ok) r).settings().services();
    }

    static List<String> errors(String text) {
        return assertInstanceOf(PalisadeConf.Result.Failed.class, PalisadeConf.parse("p.conf", text)).errors();
    }

    @Test
    void everySectionWithMacrosAndContinuations() {
        ServicesConf s = ok("""
                zones = "{ zen.spamhaus.org, bl.example }"
                create-tables yes
                divert 700 tripwire table "bofh" lifetime 86400
                divert 701 dnsbl black "dnsbl" cache "dnsbl-cache" zones $zones \\
                    resolver 127.0.0.1 port 5353 timeout 3 fail-closed
                diverter "redact" port 702 {
                    pattern card mask
                }
                trap listen on { 127.0.0.1, ::1 } port 2507 table "iblocked"
                pftabled listen on 127.0.0.1 port 56789 key "/etc/palisade/pftabled.key" lifetime 60
                metrics listen on 127.0.0.1 port 9547
                log syslog host 127.0.0.1 facility local3
                """);
        assertTrue(s.createTables());
        assertEquals(List.of(new ServicesConf.TripwireDivert(700, "bofh", 86400)), s.tripwires());
        ServicesConf.DnsblDivert d = s.dnsbls().get(0);
        assertEquals(List.of("zen.spamhaus.org", "bl.example"), d.zones());
        assertEquals(IpAddress.parse("127.0.0.1"), d.resolver());
        assertEquals(5353, d.resolverPort());
        assertEquals(3000, d.timeoutMillis());
        assertTrue(d.failClosed());
        assertEquals("redact", s.payload().get(0).type());
        assertEquals(702, s.payload().get(0).port());
        assertEquals(6, s.payload().get(0).line());
        assertEquals(new ServicesConf.Trap(List.of(IpAddress.parse("127.0.0.1"), IpAddress.parse("::1")), 2507, "iblocked", 0, 1024),
                s.traps().get(0));
        assertEquals(new ServicesConf.Pftabled(IpAddress.parse("127.0.0.1"), 56789, Path.of("/etc/palisade/pftabled.key"), 60, null, false),
                s.pftabled());
        assertEquals(new ServicesConf.Metrics(IpAddress.parse("127.0.0.1"), 9547), s.metrics());
        assertEquals(new ServicesConf.Log(true, "127.0.0.1", 514, "LOCAL3"), s.log());
    }

    @Test
    void nothingConfiguredMeansNoServices() {
        ServicesConf s = ok("state-dir \"/tmp/x\"\n");
        assertEquals(ServicesConf.NONE, s);
        assertNull(s.metrics());
    }

    @Test
    void everyErrorIsCollectedWithItsLine() {
        List<String> e = errors("""
                divert 700 tripwire table "bofh"
                divert 700 dnsbl black "a" cache "b"
                divert 0 tripwire table "x"
                trap listen on 10.0.0.300 port 1
                trap listen on 127.0.0.1 tabel "x"
                pftabled port 99999
                metrics listen on 127.0.0.1
                diverter "redact" port 700 {
                    pattern card mask
                }
                divert 703 dnsbl black "same" cache "same"
                log syslog facility nope
                create-tables maybe
                """);
        assertEquals(List.of(
                "p.conf:2: divert port 700 is already served by the diverter on line 1",
                "p.conf:3: divert: divert port out of range: 0 (expected 1 to 65535)",
                "p.conf:4: trap: invalid listen address: \"10.0.0.300\" (expected an IPv4 or IPv6 address)",
                "p.conf:5: trap: unknown option \"tabel\": expected port, table, lifetime or backlog",
                "p.conf:6: pftabled: port out of range: 99999 (expected 1 to 65535)",
                "p.conf:7: metrics: missing \"port\" at the end of the line",
                "p.conf:8: divert port 700 is already served by the diverter on line 1",
                "p.conf:11: divert 703 dnsbl: black and cache must be different tables, both are \"same\"",
                "p.conf:12: log: unknown syslog facility \"nope\": expected daemon, auth, authpriv, local0 to local7, ...",
                "p.conf:13: create-tables: expected yes or no, got \"maybe\""), e);
    }

    @Test
    void aBadDiverterBlockIsReportedByThePayloadParserWithItsLine() {
        List<String> e = errors("""
                metrics listen on 127.0.0.1 port 9547
                diverter "redact" port 702 {
                    pattern card mask
                """);
        assertEquals(1, e.size(), e::toString);
        assertTrue(e.get(0).startsWith("p.conf:"), e.get(0));
    }
}
