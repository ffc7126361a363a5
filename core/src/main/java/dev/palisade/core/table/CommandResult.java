package dev.palisade.core.table;

import java.util.List;

/**
 * What a table command prints and returns, exactly as pfctl would: lines for
 * standard output (feedback, show), lines for standard error (summaries,
 * errors, warnings), and the exit status (0 ok, 1 error, 2 for a
 * {@code test} where not every address matched).
 */
public record CommandResult(List<String> out, List<String> err, int exit) {
    public CommandResult {
        out = List.copyOf(out);
        err = List.copyOf(err);
    }
}
