package dev.palisade.kernel.compile;

import dev.palisade.core.lang.Diagnostic;
import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.ParseOptions;
import dev.palisade.core.lang.ParseResult;
import dev.palisade.core.lang.Parser;
import dev.palisade.kernel.NetnsPair;
import dev.palisade.kernel.nft.NftRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every ruleset of OpenBSD's pfctl regress corpus (read in place from
 * ../shared/pfctl-regress, never copied), of examples/ and of the golden
 * files either compiles or is refused with FILE:LINE diagnostics, never an
 * exception; and, as root, the kernel accepts every compiled program
 * ({@code nft -c} in a throwaway namespace).
 */
class CorpusCompileTest {

    static final Path REGRESS = Path.of(System.getProperty("pfctl.regress", "/work/shared/pfctl-regress"));

    record Outcome(String name, String program, List<Diagnostic> errors) {
    }

    static List<Outcome> compileAll() throws IOException {
        List<Outcome> out = new ArrayList<>();
        Map<String, Path> files = new TreeMap<>();
        if (Files.isDirectory(REGRESS)) {
            try (Stream<Path> s = Files.list(REGRESS)) {
                s.filter(p -> p.getFileName().toString().matches("pf\\d+\\.in")).forEach(p -> files.put("regress/" + p.getFileName(), p));
            }
        }
        Path examples = Path.of("../examples");
        if (Files.isDirectory(examples)) {
            try (Stream<Path> s = Files.walk(examples)) {
                s.filter(p -> p.getFileName().toString().endsWith(".conf")).forEach(p -> files.put("examples/" + p.getFileName(), p));
            }
        }
        try (Stream<Path> s = Files.list(CompilerFixtures.DIR)) {
            s.filter(p -> p.getFileName().toString().endsWith(".conf")).forEach(p -> files.put("golden/" + p.getFileName(), p));
        }
        HostProfile regressHost = Files.exists(REGRESS.resolve("regress-host.profile"))
                ? HostProfile.parse(Files.readString(REGRESS.resolve("regress-host.profile")), "regress-host.profile")
                : HostProfile.empty();
        for (Map.Entry<String, Path> f : files.entrySet()) {
            HostProfile host = f.getKey().startsWith("regress/") ? regressHost : CompilerFixtures.host();
            String text = CompilerFixtures.read(f.getValue());
            ParseResult pr = Parser.parse("stdin", text, new ParseOptions(host, Map.of(), null));
            if (!pr.ok()) continue; // the parser's business; pfail cases are not here
            try {
                switch (NftCompiler.compile(pr.ruleset(), host, NftCompiler.Options.defaults())) {
                    case CompileResult.Compiled c -> out.add(new Outcome(f.getKey(), c.program().text(), List.of()));
                    case CompileResult.Refused r -> out.add(new Outcome(f.getKey(), null, r.errors()));
                }
            } catch (RuntimeException e) {
                throw new AssertionError(f.getKey() + ": the compiler threw instead of refusing", e);
            }
        }
        return out;
    }

    @Test
    void everyRulesetCompilesOrIsRefusedWithFileAndLine() throws Exception {
        List<Outcome> all = compileAll();
        Assumptions.assumeTrue(all.size() > 10, "pfctl regress corpus not found at " + REGRESS);
        int compiled = 0;
        for (Outcome o : all) {
            if (o.program != null) {
                compiled++;
                assertTrue(o.program.contains("table inet palisade {"), o.name);
                new NftRunner("palisade").check(o.program); // only our table, balanced
            } else {
                assertTrue(!o.errors.isEmpty(), o.name);
                System.out.println("refused " + o.name + ": " + o.errors.getFirst()
                        + (o.errors.size() > 1 ? " (and " + (o.errors.size() - 1) + " more)" : ""));
                for (Diagnostic d : o.errors) {
                    assertTrue(d.line() > 0 || d.message().contains("state-policy"), o.name + ": no line in " + d);
                    assertTrue(d.toString().matches("[^:]+:\\d+: .+"), o.name + ": " + d);
                }
            }
        }
        System.out.println("compiler corpus: " + compiled + " of " + all.size() + " rulesets compiled, "
                + (all.size() - compiled) + " refused with FILE:LINE errors");
        assertTrue(compiled > all.size() / 3, "too few rulesets compile: " + compiled + " of " + all.size());
    }

    /** The kernel's own parser and validator accept every compiled program (root; a namespace of its own). */
    @Test
    void theKernelAcceptsEveryCompiledProgram() throws Exception {
        NetnsPair.assumeRoot();
        List<Outcome> all = compileAll();
        String ns = "palc" + Long.toString(ProcessHandle.current().pid() % 100000, 36);
        NetnsPair.sh("ip", "netns", "add", ns);
        try {
            NftRunner runner = new NftRunner("palisade", ns, 30_000);
            List<String> failed = new ArrayList<>();
            int checked = 0;
            for (Outcome o : all) {
                if (o.program == null) continue;
                if (o.program.contains(" queue num ") && !dev.palisade.kernel.divert.QueueFeatures.nftQueue(ns)) continue;
                checked++;
                try {
                    runner.checkOnly(o.program);
                } catch (dev.palisade.kernel.nft.NftException e) {
                    failed.add(o.name + ": " + e.getMessage());
                }
            }
            if (!failed.isEmpty()) fail(failed.size() + " programs refused by nft:\n" + String.join("\n", failed));
            assertTrue(checked > 0);
        } finally {
            NetnsPair.sh("ip", "netns", "del", ns);
        }
    }
}
