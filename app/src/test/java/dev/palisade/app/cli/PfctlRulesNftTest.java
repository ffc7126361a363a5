package dev.palisade.app.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pfctl -nvf FILE --nft}: the program on stdout, or FILE:LINE errors on stderr and exit 1. */
class PfctlRulesNftTest {

    @TempDir
    Path dir;

    record Run(int rc, String out, String err) {
    }

    Run run(String conf) throws Exception {
        Path f = dir.resolve("pf.conf");
        Files.writeString(f, conf);
        Path host = dir.resolve("host.profile");
        Files.writeString(host, "interface lo 127.0.0.1/8\ninterface eth0 192.0.2.1/24\nifgroup egress eth0\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = new PfctlRules(f.toString(), 1, false, null, Map.of(), host, true)
                .run(new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printsTheProgram() throws Exception {
        Run r = run("block all\npass in on egress proto tcp to port 22\n");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("table inet palisade {"), r.out());
        assertTrue(r.out().contains("iifname \"eth0\" tcp dport 22 tcp flags & (syn | ack) == syn "
                + "ct mark set ct mark | 0x80000000 counter return comment"), r.out());
        assertTrue(r.out().indexOf("tcp dport 22") < r.out().lastIndexOf("drop comment"), "last match first: " + r.out());
        assertEquals("", r.err());
    }

    @Test
    void refusalsAreFileLineErrorsAndExitOne() throws Exception {
        Run r = run("pass in all rtable 1\npass in all\npass in all set queue q\n");
        assertEquals(1, r.rc());
        String f = dir.resolve("pf.conf").toString();
        assertTrue(r.err().contains(f + ":1: rtable:"), r.err());
        assertTrue(r.err().contains(f + ":3: set queue q:"), r.err());
        assertEquals("", r.out(), "nothing compiled is printed");
    }

    @Test
    void parseErrorsStayParseErrors() throws Exception {
        Run r = run("pass in bogus\n");
        assertEquals(1, r.rc());
        assertTrue(r.err().contains(":1: syntax error"), r.err());
    }
}
