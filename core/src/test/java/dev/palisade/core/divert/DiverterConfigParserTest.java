package dev.palisade.core.divert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DiverterConfigParserTest {

    @Test
    void parsesTheBlockFromTheDocs() {
        DiverterConfig c = DiverterConfigParser.parseOne("""
                # DLP on port 700
                diverter "redact" port 700 { pattern card mask; pattern ssn alert; regex "secret-[0-9]+" mask }
                """, "palisade.conf");
        assertEquals("redact", c.type());
        assertEquals(700, c.port());
        assertEquals(2, c.line());
        assertEquals(3, c.entries().size());
        assertEquals(new DiverterConfig.Entry("regex", List.of("secret-[0-9]+", "mask"), 2), c.entries().get(2));
        assertEquals(List.of("card", "mask"), c.all("pattern").getFirst().args());
    }

    @Test
    void multiLineBlocksQuotesAndPrintingRoundTrip() {
        String text = """
                diverter "dns-rewrite" port 53
                {
                    name ads.example "with space" # comment
                    regex "a\\"b\\\\c"

                    ttl 60
                }
                diverter stats port 1 {}
                """;
        List<DiverterConfig> cs = DiverterConfigParser.parse(text, "t");
        assertEquals(2, cs.size());
        DiverterConfig c = cs.getFirst();
        assertEquals(List.of("ads.example", "with space"), c.all("name").getFirst().args());
        assertEquals(3, c.all("name").getFirst().line());
        assertEquals("a\"b\\c", c.all("regex").getFirst().args().getFirst());
        assertEquals(60, c.integer("ttl", 0, 0, 100));
        // The printer's text parses back to the same settings.
        for (DiverterConfig x : cs) {
            DiverterConfig back = DiverterConfigParser.parseOne(x.toString(), "t");
            assertEquals(x.toString(), back.toString());
            assertEquals(x.entries().stream().map(DiverterConfig.Entry::args).toList(),
                    back.entries().stream().map(DiverterConfig.Entry::args).toList());
        }
    }

    @Test
    void everyErrorIsReportedWithItsLine() {
        var e = assertThrows(DiverterConfigException.class, () -> DiverterConfigParser.parse("""
                diverter "redact" port 70000 { pattern card mask }
                table <x> persist
                diverter "Bad" port 1 { }
                diverter "x" prot 1 { }
                diverter "y" port 2 { a "unterminated
                """, "palisade.conf"));
        assertEquals(List.of(
                "palisade.conf:1: diverter \"redact\": port: expected a number in 0..65535, got \"70000\"",
                "palisade.conf:2: expected \"diverter\", got \"table\"",
                "palisade.conf:3: diverter: type name must be lower case letters, digits and '-', got \"Bad\"",
                "palisade.conf:4: diverter \"x\": expected \"port\", got \"prot\"",
                "palisade.conf:5: unterminated quoted string",
                "palisade.conf:5: diverter \"y\": missing \"}\" at end of input"), e.errors());
    }

    @Test
    void typedAccessorsNameTheProblem() {
        DiverterConfig c = DiverterConfigParser.parseOne("diverter \"t\" port 9 {\n n 12x\n m 1\n m 2\n f maybe\n a 300.1.1.1\n}", "f");
        assertEquals("f:2: diverter \"t\": n: expected a number in 0..10, got \"12x\"",
                assertThrows(DiverterConfigException.class, () -> c.integer("n", 0, 0, 10)).getMessage());
        assertEquals("f:4: diverter \"t\": m: given more than once (first at line 3)",
                assertThrows(DiverterConfigException.class, () -> c.string("m", null)).getMessage());
        assertEquals("f:5: diverter \"t\": f: expected yes or no, got \"maybe\"",
                assertThrows(DiverterConfigException.class, () -> c.flag("f", false)).getMessage());
        assertEquals("f:6: diverter \"t\": a: expected an IP address, got \"300.1.1.1\"",
                assertThrows(DiverterConfigException.class, () -> c.addressArg(c.one("a"), 0)).getMessage());
        var e = assertThrows(DiverterConfigException.class, () -> c.checkKeys(Set.of("n", "m", "a")));
        assertEquals(List.of("f:5: diverter \"t\": unknown setting \"f\", expected one of [a, m, n]"), e.errors());
        assertEquals(7, c.integer("absent", 7, 0, 10));
    }
}
