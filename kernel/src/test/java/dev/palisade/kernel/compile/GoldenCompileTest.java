package dev.palisade.kernel.compile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Golden tests: each {@code compile/NAME.conf} compiles to exactly
 * {@code NAME.nft} (or is refused with exactly {@code NAME.err}). Run with
 * {@code -Dgolden.update=true} to rewrite the expectations, then review the
 * diff: the files are the specification of the mapping in docs/kernel.md.
 */
class GoldenCompileTest {

    static Stream<String> cases() throws IOException {
        try (Stream<Path> s = Files.list(CompilerFixtures.DIR)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".conf"))
                    .map(n -> n.substring(0, n.length() - 5)).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void compilesAsRecorded(String name) throws IOException {
        String text = CompilerFixtures.read(CompilerFixtures.DIR.resolve(name + ".conf"));
        String got = CompilerFixtures.compileText(name + ".conf", text, NftCompiler.Options.defaults());
        boolean refused = !got.startsWith("#");
        Path expected = CompilerFixtures.DIR.resolve(name + (refused ? ".err" : ".nft"));
        if (Boolean.getBoolean("golden.update")) Files.writeString(expected, got);
        assertEquals(CompilerFixtures.read(expected), got, name);
    }
}
