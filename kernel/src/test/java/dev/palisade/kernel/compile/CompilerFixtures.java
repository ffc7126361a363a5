package dev.palisade.kernel.compile;

import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.ParseOptions;
import dev.palisade.core.lang.ParseResult;
import dev.palisade.core.lang.Parser;
import dev.palisade.core.lang.Ruleset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared parsing for the compiler tests: the golden host profile and pf.conf text to a ruleset. */
final class CompilerFixtures {
    static final Path DIR = Path.of("src/test/resources/compile");

    private CompilerFixtures() {}

    static HostProfile host() {
        try {
            return HostProfile.parse(Files.readString(DIR.resolve("host.profile")), "host.profile");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Ruleset parse(String name, String text, HostProfile host) {
        ParseResult r = Parser.parse(name, text, ParseOptions.of(host));
        assertTrue(r.ok(), () -> name + " does not parse: " + r.errors());
        return r.ruleset();
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Program text, or the refusal as FILE:LINE lines. */
    static String compileText(String name, String text, NftCompiler.Options o) {
        HostProfile h = host();
        return switch (NftCompiler.compile(parse(name, text, h), h, o)) {
            case CompileResult.Compiled c -> c.program().text();
            case CompileResult.Refused f -> String.join("\n", f.errors().stream().map(Object::toString).toList()) + "\n";
        };
    }
}
