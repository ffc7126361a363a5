package dev.palisade.kernel.compile;

import dev.palisade.core.lang.Diagnostic;
import java.util.List;

/** The outcome of compiling a ruleset: a program, or every reason it cannot be one (nothing compiled). */
public sealed interface CompileResult {

    /** The ruleset compiled entirely. */
    record Compiled(NftProgram program) implements CompileResult {
        public Compiled {
            java.util.Objects.requireNonNull(program, "program");
        }
    }

    /** One or more rules cannot be expressed in nftables; each diagnostic is {@code FILE:LINE: message}. */
    record Refused(List<Diagnostic> errors) implements CompileResult {
        public Refused {
            errors = List.copyOf(errors);
            if (errors.isEmpty()) throw new IllegalArgumentException("a refusal needs at least one error");
        }
    }
}
