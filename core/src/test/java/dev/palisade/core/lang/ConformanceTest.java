package dev.palisade.core.lang;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * OpenBSD's pfctl regress data as a conformance corpus, read in place from
 * {@code ../shared/pfctl-regress} next to the repository (or
 * {@code -Dpalisade.regress=DIR}); never copied into the project.
 *
 * <ul>
 * <li>pfN: {@code -o none -nv} output of pfN.in equals pfN.ok byte for byte;</li>
 * <li>selfpfN: pfN.ok reproduces itself;</li>
 * <li>pfailN: errors then output ({@code 2>&1} through a pipe) equal pfailN.ok;</li>
 * <li>pfoptN: with the -D options of pfoptN.opts.</li>
 * </ul>
 * Cases listed in docs/conformance.md are expected to fail (each with its
 * reason): a listed case that passes, or an unlisted case that fails, fails
 * the build, so the list stays true. {@link #summary()} prints N of M.
 */
class ConformanceTest {

    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        Path found = null;
        for (Path q = p; q != null; q = q.getParent()) {
            Path pom = q.resolve("pom.xml");
            if (Files.isRegularFile(pom)) {
                try {
                    if (Files.readString(pom).contains("<modules>")) found = q;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }
        }
        return found;
    }

    static Path corpus() {
        String prop = System.getProperty("palisade.regress");
        if (prop != null) return Path.of(prop);
        Path root = root();
        return root == null ? null : root.resolve("../shared/pfctl-regress").normalize();
    }

    /** Case name to reason, from docs/conformance.md lines "- `case`: reason". */
    static Map<String, String> knownFailures() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        Path root = root();
        if (root == null) return m;
        Path doc = root.resolve("docs/conformance.md");
        if (!Files.exists(doc)) return m;
        Matcher mt = Pattern.compile("(?m)^- `([a-z0-9]+)`: (.*)$").matcher(Files.readString(doc));
        while (mt.find()) m.put(mt.group(1), mt.group(2));
        return m;
    }

    record Case(String name, String input, String expected, Map<String, String> defines, boolean merged) {
    }

    static HostProfile profile(Path dir) throws IOException {
        Path p = dir.resolve("regress-host.profile");
        return HostProfile.parse(Files.readString(p), p.toString());
    }

    static List<Case> cases(Path dir) throws IOException {
        List<Case> out = new ArrayList<>();
        List<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.map(x -> x.getFileName().toString()).sorted(ConformanceTest::natural).toList();
        }
        Set<String> set = new LinkedHashSet<>(names);
        for (String n : names) {
            if (!n.endsWith(".ok")) continue;
            String base = n.substring(0, n.length() - 3);
            String ok = read(dir.resolve(n));
            if (base.matches("pf[0-9]+")) {
                if (set.contains(base + ".in")) out.add(new Case(base, read(dir.resolve(base + ".in")), ok, Map.of(), false));
                out.add(new Case("self" + base, ok, ok, Map.of(), false));
            } else if (base.matches("pfail[0-9]+") && set.contains(base + ".in")) {
                out.add(new Case(base, read(dir.resolve(base + ".in")), ok, Map.of(), true));
            } else if (base.matches("pfopt[0-9]+") && set.contains(base + ".in")) {
                Map<String, String> defs = new LinkedHashMap<>();
                String opts = set.contains(base + ".opts") ? read(dir.resolve(base + ".opts")) : "";
                Matcher m = Pattern.compile("-D\\s*(\\w+)=(\\S*)").matcher(opts);
                while (m.find()) defs.put(m.group(1), m.group(2));
                out.add(new Case(base, read(dir.resolve(base + ".in")), ok, defs, true));
            }
        }
        return out;
    }

    static int natural(String a, String b) {
        Matcher ma = Pattern.compile("([a-z]+)([0-9]*)(.*)").matcher(a), mb = Pattern.compile("([a-z]+)([0-9]*)(.*)").matcher(b);
        if (ma.matches() && mb.matches()) {
            int c = ma.group(1).compareTo(mb.group(1));
            if (c != 0) return c;
            int na = ma.group(2).isEmpty() ? -1 : Integer.parseInt(ma.group(2));
            int nb = mb.group(2).isEmpty() ? -1 : Integer.parseInt(mb.group(2));
            if (na != nb) return Integer.compare(na, nb);
        }
        return a.compareTo(b);
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.ISO_8859_1);
    }

    static String run(Case c, HostProfile host) {
        ParseResult r = Parser.parse("stdin", c.input(), new ParseOptions(host, c.defines(), null));
        return c.merged() ? PfctlText.merged(r, 1) : PfctlText.merged(r, 1);
    }

    @TestFactory
    Stream<DynamicTest> corpus_cases() throws IOException {
        Path dir = corpus();
        Assumptions.assumeTrue(dir != null && Files.isDirectory(dir),
                "pfctl regress corpus not found at ../shared/pfctl-regress (set -Dpalisade.regress=DIR): skipping");
        HostProfile host = profile(dir);
        Map<String, String> known = knownFailures();
        return cases(dir).stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            String got = run(c, host);
            if (known.containsKey(c.name())) {
                if (got.equals(c.expected())) {
                    fail(c.name() + " passes now but docs/conformance.md lists it as failing: remove it from the list");
                }
                return;
            }
            assertEquals(c.expected(), got, c.name());
        }));
    }

    @Test
    void summary() throws IOException {
        Path dir = corpus();
        Assumptions.assumeTrue(dir != null && Files.isDirectory(dir), "pfctl regress corpus not found: skipping");
        HostProfile host = profile(dir);
        int pass = 0;
        List<Case> cs = cases(dir);
        List<String> failing = new ArrayList<>();
        for (Case c : cs) {
            if (run(c, host).equals(c.expected())) pass++;
            else failing.add(c.name());
        }
        System.out.println("conformance: " + pass + " of " + cs.size() + " cases pass"
                + (failing.isEmpty() ? "" : " (failing: " + String.join(" ", failing) + ")"));
    }
}
