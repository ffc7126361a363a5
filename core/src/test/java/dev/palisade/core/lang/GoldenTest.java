package dev.palisade.core.lang;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The project's own golden files for what the OpenBSD corpus does not cover
 * (golden/*.conf against golden/*.ok, host golden/host.profile), the
 * fixpoint property print(parse(x)) == print(parse(print(parse(x)))) over
 * every input we have, and the model facts consumers rely on.
 */
class GoldenTest {

    static String resource(String name) throws IOException {
        try (InputStream in = GoldenTest.class.getResourceAsStream("golden/" + name)) {
            if (in == null) throw new IOException("missing test resource golden/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static HostProfile host() throws IOException {
        return HostProfile.parse(resource("host.profile"), "host.profile");
    }

    /** Included and anchor files are read from golden/ by base name. */
    static ParseResult parse(String text) throws IOException {
        return Parser.parse("stdin", text, new ParseOptions(host(), Map.of(),
                p -> resource(Path.of(p).getFileName().toString())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"constructs", "errors"})
    void golden(String name) throws IOException {
        ParseResult r = parse(resource(name + ".conf"));
        assertEquals(resource(name + ".ok"), PfctlText.merged(r, 1), name);
    }

    static Stream<String> inputs() throws IOException {
        List<String> out = new java.util.ArrayList<>(List.of(resource("constructs.conf"), resource("constructs.ok")));
        Path dir = ConformanceTest.corpus();
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.filter(p -> p.toString().matches(".*/pf[0-9]+\\.(in|ok)")).sorted().toList()) {
                    out.add(Files.readString(p, StandardCharsets.ISO_8859_1));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("inputs")
    void printIsAFixpoint(String text) throws IOException {
        ParseResult first = parse(text);
        if (!first.ok()) return;
        String once = Printer.print(first.ruleset(), 1);
        ParseResult second = parse(once);
        assertTrue(second.ok(), () -> "canonical text does not parse: " + second.errors() + "\n" + once);
        assertEquals(once, Printer.print(second.ruleset(), 1));
        assertEquals(printed(first), printed(second));
    }

    /**
     * Each rule with its number, printed, and (except anchor calls, whose inline
     * rules keep their lines) the model itself with the source line cleared:
     * lines differ between a file and its canonical print, nothing else may.
     */
    static List<Object> printed(ParseResult r) {
        List<Object> out = new java.util.ArrayList<>();
        for (FilterRule x : r.ruleset().rules()) {
            out.add(Printer.rule(x, 2));
            if (x.anchor() == null) {
                FilterRule.Builder b = x.toBuilder();
                b.line = 0;
                out.add(b.build());
            }
        }
        return out;
    }

    @Test
    void defineOverridesTheFilesMacroButTheDefinitionIsStillEchoed() throws IOException {
        ParseResult r = Parser.parse("stdin", "ext = \"em9\"\nblock on $ext\n",
                new ParseOptions(host(), Map.of("ext", "lo0"), null));
        assertEquals("ext = \"em9\"\nblock drop on lo0 all\n", PfctlText.stdout(r, 1));
    }

    @Test
    void includeReadsThroughTheGivenReaderAndNamesTheIncludedFileInErrors() throws IOException {
        Map<String, String> files = Map.of("inc.conf", "pass in all\nbogus\n");
        ParseResult r = Parser.parse("main.conf", "include \"inc.conf\"\nblock out all\n",
                new ParseOptions(host(), Map.of(), files::get));
        assertEquals(List.of(new Diagnostic("inc.conf", 2, "syntax error")), r.errors());
        assertEquals(2, r.ruleset().rules().size());
        ParseResult refused = Parser.parse("main.conf", "include \"x\"\n", ParseOptions.of(host()));
        assertFalse(refused.ok());
    }

    @Test
    void expandedRulesAreFlatAndTyped() throws IOException {
        ParseResult r = parse("pass in quick on egress inet proto tcp from ! 10/8 to (em0:network) port { ssh, 80 } "
                + "user www label \"$dstport\"\n");
        assertTrue(r.ok(), r.errors()::toString);
        List<FilterRule> rules = r.ruleset().rules();
        assertEquals(2, rules.size());
        FilterRule a = rules.get(0);
        assertEquals(FilterRule.Action.PASS, a.action());
        assertEquals(FilterRule.Direction.IN, a.direction());
        assertTrue(a.quick());
        assertEquals("egress", a.ifname());
        assertEquals(Af.INET, a.af());
        assertEquals(6, a.proto());
        assertTrue(a.src().negated());
        assertEquals(new Address.Prefix(dev.palisade.core.net.IpPrefix.parse("10.0.0.0/8"), null), a.src().address());
        assertEquals(new Address.Dynamic("em0", true, false, false, false, -1), a.dst().address());
        assertEquals(new PortOp(Op.EQ, 22, 0), a.dst().port());
        assertEquals(new IdOp(Op.EQ, 67, 0), a.uid());
        assertEquals("22", a.label());
        assertEquals(FilterRule.StateType.KEEP, a.state());
        assertEquals(0b10, a.flags());
        assertEquals(0b10010, a.flagset());
        assertEquals(0, a.number());
        assertEquals(1, rules.get(1).number());
        assertEquals(1, a.line());
    }

    @Test
    void hostnamesExpandToEveryAddressTheResolverGives() throws IOException {
        ParseResult r = parse("pass in proto tcp to mail.example port smtp\n");
        assertEquals("pass in inet proto tcp from any to 192.0.2.25 port = 25 flags S/SA\n"
                + "pass in inet6 proto tcp from any to 2001:db8::25 port = 25 flags S/SA\n", PfctlText.stdout(r, 1));
    }

    @Test
    void loadAnchorParsesTheFileIntoItsOwnRuleset() throws IOException {
        ParseResult r = parse(resource("constructs.conf"));
        Decl.LoadAnchor la = r.ruleset().declarations().stream().filter(d -> d instanceof Decl.LoadAnchor)
                .map(d -> (Decl.LoadAnchor) d).findFirst().orElseThrow();
        assertEquals(List.of("block drop in quick from <spammers> to any", "pass in proto tcp from any to any port = 25 flags S/SA"),
                la.ruleset().rules().stream().map(x -> Printer.rule(x, 0)).toList());
        assertEquals(1, la.ruleset().rules().get(1).number());
    }

    @Test
    void veryVerbosePrintsRuleNumbersAndRuntimeCounts() throws IOException {
        ParseResult r = parse("pass from <t> to (em0)\n");
        assertEquals("@0 pass from <t:*> to (em0:*) flags S/SA\n", PfctlText.stdout(r, 2));
    }
}
