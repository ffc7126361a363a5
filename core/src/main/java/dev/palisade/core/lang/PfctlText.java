package dev.palisade.core.lang;

/**
 * What {@code pfctl -n} writes for a parse result: standard error gets every
 * diagnostic; standard output (with -v) gets the declarations as parsed and,
 * only when there was no error, the expanded rules. pfctl's stdout is block
 * buffered on a pipe, so {@code 2>&1} shows every error first: {@link #merged}
 * reproduces that (the pfail regress cases compare it).
 */
public final class PfctlText {
    private PfctlText() {
    }

    public static String stderr(ParseResult r) {
        StringBuilder sb = new StringBuilder();
        for (Diagnostic d : r.errors()) sb.append(d).append('\n');
        return sb.toString();
    }

    /** Standard output for verbosity {@code verbose} (0: nothing, 1: -v, 2: -vv). */
    public static String stdout(ParseResult r, int verbose) {
        if (verbose <= 0) return "";
        StringBuilder sb = new StringBuilder();
        for (Decl d : r.ruleset().declarations()) sb.append(Printer.decl(d)).append('\n');
        if (r.ok()) Printer.rules(r.ruleset().rules(), verbose, "", sb);
        return sb.toString();
    }

    /** {@code pfctl ... 2>&1} through a pipe: errors, then standard output. */
    public static String merged(ParseResult r, int verbose) {
        return stderr(r) + stdout(r, verbose);
    }
}
