package dev.palisade.app.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.app.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The compatible command lines: the originals' argument rules, clear errors, one line for a missing piece. */
class SeedCommandsTest {

    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    static void assertBad(String expected, String... args) {
        Run r = run(args);
        assertEquals(2, r.status(), () -> "usage error for " + String.join(" ", args) + ": " + r);
        assertTrue(r.err().contains(expected), () -> "expected \"" + expected + "\" in: " + r.err());
    }

    @Test
    void bofhDivertValidatesLikeTheOriginal() {
        assertBad("port for -p out of range: 0 (expected 1 to 65535)", "bofh-divert", "-p", "0", "-t", "bofh");
        assertBad("port for -p out of range: 65536", "bofh-divert", "-p", "65536", "-t", "bofh");
        assertBad("invalid port for -p: \"http\"", "bofh-divert", "-p", "http", "-t", "bofh");
        assertBad("is 32 characters long, at most 31 allowed", "bofh-divert", "-p", "7000", "-t", "x".repeat(32));
        assertBad("Missing required option: '-t=TABLE'", "bofh-divert", "-p", "7000");
        assertBad("--lifetime must be a positive", "bofh-divert", "-p", "7000", "-t", "bofh", "--lifetime", "0");
    }

    @Test
    void bofhDivertSaysInOneLineWhatIsMissing() {
        Run r = run("bofh-divert", "-p", "7000", "-t", "x".repeat(31), "--socket", "/nonexistent/palisaded.sock");
        assertEquals(1, r.status(), r::toString);
        assertEquals(1, r.err().strip().lines().count(), r::err);
        assertTrue(r.err().startsWith("palisade bofh-divert: cannot reach palisaded's tables at /nonexistent/palisaded.sock"), r::err);
    }

    @Test
    void dnsblDivertValidates() {
        assertBad("invalid DNS server address: \"resolver.example\"", "dnsbl-divert", "-p", "1", "-t", "black", "-c", "cache", "resolver.example");
        assertBad("zone \"bad zone\" contains ' '", "dnsbl-divert", "-p", "1", "-t", "black", "-c", "cache", "-z", "bad zone", "127.0.0.1");
        assertBad("black and cache table must differ", "dnsbl-divert", "-p", "1", "-t", "same", "-c", "same", "127.0.0.1");
        assertBad("overlaps 127.255.255.0/24", "dnsbl-divert", "-p", "1", "-t", "b", "-c", "c", "--codes", "127.255.255.2", "127.0.0.1");
        assertBad("port for --dns-port out of range: 0", "dnsbl-divert", "-p", "1", "-t", "b", "-c", "c", "--dns-port", "0", "::1");
        assertBad("Missing required option: '-c=CACHE'", "dnsbl-divert", "-p", "1", "-t", "b");
        Run r = run("dnsbl-divert", "-p", "25", "-t", "black", "-c", "cache", "-z", "zen.example", "::1");
        assertEquals(1, r.status(), r::toString);
        assertTrue(r.err().startsWith("palisade dnsbl-divert: cannot reach palisaded's tables"), r::err);
    }

    @Test
    void iblockDefaultsAndValidation() {
        assertBad("port for -p out of range: 70000", "iblock", "-p", "70000");
        assertBad("invalid listen address (-l): \"localhost\"", "iblock", "-l", "localhost");
        Run r = run("iblock");
        assertEquals(1, r.status(), r::toString);
        assertTrue(r.err().startsWith("palisade iblock: cannot reach palisaded's tables"), r::err);
        IblockCommand c = new IblockCommand();
        new CommandLine(c).parseArgs();
        var cfg = c.config();
        assertEquals("iblocked", cfg.table());
        assertEquals(2, cfg.listen().size());
        assertEquals(2507, cfg.listen().getFirst().getPort());
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("help");
        for (String c : new String[] {"bofh-divert", "dnsbl-divert", "iblock"}) assertTrue(r.out().contains(c) || r.err().contains(c), r::toString);
    }
}
