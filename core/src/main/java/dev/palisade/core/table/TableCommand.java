package dev.palisade.core.table;

import java.util.List;
import java.util.Objects;

/**
 * One {@code pfctl -t TABLE -T COMMAND} request: the command, its address
 * arguments (as typed, including those read from {@code -f FILE}), and the
 * options that shape its feedback.
 *
 * @param args    addresses (for add, delete, replace, test, zero) or the seconds of {@code expire}
 * @param dummy   {@code -n}: compute and report, change nothing
 * @param quiet   {@code -q}: no summary messages
 * @param verbose 0, 1 ({@code -v}: feedback lines for changed addresses) or 2 ({@code -vv}: for every address)
 * @param origin  recorded on added entries
 */
public record TableCommand(String table, Op op, List<String> args, boolean dummy, boolean quiet, int verbose, Origin origin) {

    /** pfctl's table commands ({@code -T}). */
    public enum Op {
        ADD, DELETE, REPLACE, SHOW, TEST, FLUSH, EXPIRE, ZERO, KILL;

        /** The command for {@code word}, accepting unique prefixes as pfctl does ({@code -Tk}, {@code -Ts}). */
        public static Op parse(String word) {
            if (word == null || word.isEmpty()) {
                throw new IllegalArgumentException("missing table command: expected one of " + names());
            }
            Op found = null;
            for (Op o : values()) {
                String n = o.name().toLowerCase(java.util.Locale.ROOT);
                if (n.equals(word)) return o;
                if (n.startsWith(word)) {
                    if (found != null) {
                        throw new IllegalArgumentException("ambiguous table command \"" + word + "\": expected one of " + names());
                    }
                    found = o;
                }
            }
            if (found == null) throw new IllegalArgumentException("unknown table command \"" + word + "\": expected one of " + names());
            return found;
        }

        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static String names() {
            return "add, delete, replace, show, test, flush, expire, zero, kill";
        }
    }

    public TableCommand {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(op, "op");
        args = List.copyOf(args);
        if (verbose < 0 || verbose > 2) throw new IllegalArgumentException("verbose must be 0..2, got " + verbose);
        if (origin == null) origin = new Origin.Manual("");
    }
}
