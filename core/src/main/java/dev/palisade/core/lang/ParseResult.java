package dev.palisade.core.lang;

import java.util.List;

/**
 * The outcome of parsing: the ruleset as far as it parsed, and every
 * diagnostic in the order pfctl reports them. A result with any error must
 * load nothing ({@link #orThrow()}).
 */
public record ParseResult(Ruleset ruleset, List<Diagnostic> errors) {
    public ParseResult {
        errors = List.copyOf(errors);
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** The ruleset, or the parse error carrying every diagnostic. */
    public Ruleset orThrow() throws ParseException {
        if (!ok()) throw new ParseException(errors);
        return ruleset;
    }
}
