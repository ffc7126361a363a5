package dev.palisade.core.eval;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.ParseOptions;
import dev.palisade.core.lang.ParseResult;
import dev.palisade.core.lang.Parser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Skip steps against OpenBSD's own: the {@code [ Skip steps: ... ]} lines of pfctl -gvvsr in pfNN.loaded. */
class SkipStepsTest {
    static final Path DIR = Path.of(System.getProperty("user.dir")).resolve("../../shared/pfctl-regress").normalize();

    @ParameterizedTest
    @ValueSource(strings = {"pf1", "pf89"})
    void matchesPfctl(String name) throws Exception {
        Path dir = Files.isDirectory(DIR) ? DIR : Path.of("/work/shared/pfctl-regress");
        assumeTrue(Files.isRegularFile(dir.resolve(name + ".loaded")), "no pfctl regress data at " + dir);
        HostProfile host = HostProfile.parse(Files.readString(dir.resolve("regress-host.profile")), "regress-host.profile");
        ParseResult r = Parser.parse("stdin", Files.readString(dir.resolve(name + ".in")), new ParseOptions(host, Map.of(), null));
        assertTrue(r.ok(), () -> dev.palisade.core.lang.PfctlText.stderr(r));
        List<String> expected = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve(name + ".loaded"))) {
            if (l.strip().startsWith("[ Skip steps:")) expected.add(l.strip());
        }
        int[][] steps = SkipSteps.compute(r.ruleset().rules());
        List<String> got = new ArrayList<>();
        for (int i = 0; i < r.ruleset().rules().size(); i++) got.add(SkipSteps.format(steps, i));
        assertEquals(String.join("\n", expected), String.join("\n", got));
    }
}
