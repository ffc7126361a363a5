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
    void kernelModesNeedTheDaemon() throws Exception {
        // -s rules is served by palisaded (docs/palisade.8.md, pfctl's kernel modes): without one, exit 1 and say
        // so, naming the socket. Run as its own process: that is how users meet it, and it keeps this JVM's
        // standard streams (shared with every other test class) out of the assertion.
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "pfctl", "--socket", "/nonexistent/palisade-test.sock", "-s", "rules")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "pfctl did not exit");
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("palisaded is not running") && out.contains("/nonexistent/palisade-test.sock"), out);
    }
}
