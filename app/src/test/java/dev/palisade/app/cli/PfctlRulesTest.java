package dev.palisade.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.app.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code palisade pfctl -n -f}: output, messages and exit status as pfctl's. */
class PfctlRulesTest {
    @TempDir
    Path dir;

    record Run(int status, String out, String err) {
    }

    Run run(String stdin, String file, int verbose, Map<String, String> defines) throws Exception {
        Path profile = dir.resolve("host.profile");
        Files.writeString(profile, "interface lo0 127.0.0.1/8 ::1/128\nuser root 0\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = new PfctlRules(file, verbose, false, "none", defines, profile).run(
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void stdinIsNamedStdinAndErrorsExitOne() throws Exception {
        Run r = run("pass in all\npass in from any port 22 to any\n", "-", 1, Map.of());
        assertEquals(1, r.status());
        assertEquals("stdin:2: port only applies to tcp/udp\nstdin:2: skipping rule due to errors\n"
                + "stdin:2: rule expands to no valid combination\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void verbosePrintsTheExpandedRulesetFromAFile() throws Exception {
        Path f = dir.resolve("pf.conf");
        Files.writeString(f, "p = \"{ 22 80 }\"\npass in on lo0 proto tcp to port $p\n");
        Run r = run("", f.toString(), 1, Map.of());
        assertEquals(0, r.status(), r.err());
        assertEquals("p = \"{ 22 80 }\"\npass in on lo0 proto tcp from any to any port = 22 flags S/SA\n"
                + "pass in on lo0 proto tcp from any to any port = 80 flags S/SA\n", r.out());
        Run quiet = run("", f.toString(), 0, Map.of());
        assertEquals("", quiet.out());
        assertEquals(0, quiet.status());
    }

    @Test
    void missingFileIsAnErrorNamingIt() throws Exception {
        Run r = run("", dir.resolve("nope.conf").toString(), 1, Map.of());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("nope.conf: No such file or directory"), r.err());
    }

    @Test
    void kernelModesWithoutADaemonSaySoWithTheSocketAndExitOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        // -s rules is served by palisaded; with no daemon the message names the socket tried.
        String sock = dir.resolve("none.sock").toString();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = Main.commandLine();
        java.io.PrintWriter pw = new java.io.PrintWriter(err, true);
        cl.setErr(pw);
        cl.getSubcommands().get("pfctl").setErr(pw);
        PrintStream old = System.err;
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = cl.execute("pfctl", "--socket", sock, "-s", "rules");
        } finally {
            System.setErr(old);
        }
        assertEquals(1, rc);
        pw.flush();
        String all = err + stderr.toString(StandardCharsets.UTF_8);
        assertTrue(all.contains("palisaded is not running") && all.contains(sock), all);
    }
}
