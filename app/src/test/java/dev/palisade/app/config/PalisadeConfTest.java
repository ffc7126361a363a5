package dev.palisade.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.palisade.core.net.IpPrefix;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class PalisadeConfTest {

    @Test
    void keysMacrosListsCommentsAndContinuations() {
        String text = """
                # palisaded
                office = "{ 198.51.100.0/24, 2001:db8:100::/48 }"
                dir = "/var/lib/p"
                state-dir $dir   # trailing comment
                socket "/run/p.sock"
                allowlist $office
                allowlist { 203.0.113.7 \\
                    10/8 }
                """;
        var r = assertInstanceOf(PalisadeConf.Result.Ok.class, PalisadeConf.parse("p.conf", text));
        assertEquals(Path.of("/var/lib/p"), r.settings().stateDir());
        assertEquals(Path.of("/run/p.sock"), r.settings().socket());
        assertEquals(List.of(IpPrefix.parse("198.51.100.0/24"), IpPrefix.parse("2001:db8:100::/48"),
                IpPrefix.parse("203.0.113.7"), IpPrefix.parse("10.0.0.0/8")), r.settings().allowlist());
    }

    @Test
    void everyErrorIsReportedWithItsLine() {
        String text = """
                alowlist 10/8
                allowlist { 10.0.0.300/8 }
                socket
                state-dir $nope
                allowlist { 1.2.3.4
                """;
        var f = assertInstanceOf(PalisadeConf.Result.Failed.class, PalisadeConf.parse("p.conf", text));
        assertEquals(5, f.errors().size(), f.errors().toString());
        assertEquals("p.conf:1: unknown keyword \"alowlist\": expected state-dir, socket, allowlist, create-tables, divert, diverter, trap, pftabled, metrics, log or a macro definition (name = value)", f.errors().get(0));
        assertEquals(true, f.errors().get(1).startsWith("p.conf:2: allowlist: invalid address"), f.errors().get(1));
        assertEquals(true, f.errors().get(2).startsWith("p.conf:3: socket takes one value"), f.errors().get(2));
        assertEquals("p.conf:4: macro \"nope\" is not defined", f.errors().get(3));
        assertEquals("p.conf:5: allowlist: missing } at the end of the list", f.errors().get(4));
    }
}
