package dev.palisade.core.lang;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Hostile input: each case must end quickly, in bounded memory, with diagnostics and no exception. */
class LimitsTest {

    static ParseResult parse(CharSequence text) {
        return Parser.parse("stdin", text, ParseOptions.of(HostProfile.empty()));
    }

    @Test
    void macroLoopStops() {
        ParseResult r = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> parse("a = \"$b\"\nb = \"$a\"\npass on $a\nself = \"$self $self\"\npass on $self\n"));
        assertTrue(r.errors().stream().anyMatch(d -> d.message().contains("macro loop")), r.errors()::toString);
    }

    @Test
    void exponentialMacroIsBounded() {
        StringBuilder sb = new StringBuilder("m0 = \"x\"\n");
        for (int i = 1; i < 40; i++) sb.append("m").append(i).append(" = \"$m").append(i - 1).append(" $m").append(i - 1).append("\"\n");
        sb.append("pass on $m39\n");
        ParseResult r = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> parse(sb));
        assertFalse(r.ok());
    }

    @Test
    void hundredMegabyteLineIsRejectedWithoutHoldingIt() {
        CharSequence huge = new RepeatedLine('a', 100 << 20);
        ParseResult r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> parse(huge));
        assertTrue(r.errors().stream().anyMatch(d -> d.message().equals("string too long")), r.errors()::toString);
    }

    @Test
    void deepNestingIsRejected() {
        String deep = "anchor \"a\" {\n".repeat(10_000) + "}\n".repeat(10_000);
        ParseResult r = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> parse(deep));
        assertTrue(r.errors().stream().anyMatch(d -> d.message().contains("nest too deeply")), r.errors()::toString);
        String braces = "pass from " + "{ ".repeat(100_000) + "\n";
        assertFalse(assertTimeoutPreemptively(Duration.ofSeconds(20), () -> parse(braces)).ok());
    }

    @Test
    void hugeExpansionIsRejected() {
        StringBuilder sb = new StringBuilder("l = \"{");
        for (int i = 0; i < 200; i++) sb.append(" 10.0.0.").append(i);
        sb.append(" }\"\npass from $l to $l port { 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 } proto tcp\n");
        sb.append("pass proto tcp from $l to $l port { 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 }\n");
        ParseResult r = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> parse(sb));
        assertTrue(r.errors().stream().anyMatch(d -> d.message().contains("more than")), r.errors()::toString);
    }

    @Test
    void binaryGarbageGivesDiagnostics() {
        Random rnd = new Random(42);
        for (int i = 0; i < 200; i++) {
            byte[] b = new byte[rnd.nextInt(4096)];
            rnd.nextBytes(b);
            ParseResult r = parse(new String(b, java.nio.charset.StandardCharsets.ISO_8859_1));
            r.errors().forEach(d -> assertTrue(d.line() >= 1));
        }
    }

    /** A 100 MB line without allocating 100 MB. */
    record RepeatedLine(char c, int length) implements CharSequence {
        public char charAt(int i) {
            return i == length - 1 ? '\n' : c;
        }

        public CharSequence subSequence(int s, int e) {
            return String.valueOf(c).repeat(e - s);
        }

        public String toString() {
            return "<" + length + " chars>";
        }
    }
}
