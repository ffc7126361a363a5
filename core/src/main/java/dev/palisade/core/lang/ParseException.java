package dev.palisade.core.lang;

import java.util.List;

/**
 * The one exception the language throws: the input was rejected. It carries
 * every diagnostic (pfctl reports them all, then loads nothing).
 */
public final class ParseException extends Exception {
    private final List<Diagnostic> diagnostics;

    public ParseException(List<Diagnostic> diagnostics) {
        super(diagnostics.isEmpty() ? "invalid ruleset" : diagnostics.getFirst().toString()
                + (diagnostics.size() > 1 ? " (and " + (diagnostics.size() - 1) + " more)" : ""));
        this.diagnostics = List.copyOf(diagnostics);
    }

    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }
}
