package dev.palisade.app.cli;

import dev.palisade.app.control.ControlClient;
import dev.palisade.app.control.ControlRequest;
import dev.palisade.app.daemon.Defaults;
import dev.palisade.core.table.TableCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The table half of {@code palisade pfctl}: {@code -t TABLE -T COMMAND
 * [address ...] [-f FILE]} and {@code -s Tables}, sent to palisaded over its
 * control socket. Addresses from {@code -f} are read here, as pfctl reads
 * them (white-space separated, {@code #} to the end of a line is a comment,
 * {@code -} is standard input), and sent along with the arguments.
 */
public final class PfctlTables {

    /** Standard input for {@code -f -}; tests replace it. */
    static InputStream stdin = System.in;

    private final PfctlCommand c;

    PfctlTables(PfctlCommand c) {
        this.c = c;
    }

    /** True when the command line is a table command this class runs. */
    static boolean handles(PfctlCommand c) {
        return c.tableCommand != null || (c.show != null && !c.show.isEmpty() && "Tables".startsWith(c.show));
    }

    int run(PrintWriter out, PrintWriter err) {
        Path socket = c.socket != null ? c.socket : Defaults.socket();
        if (c.tableCommand == null) {
            if (c.table != null || !c.addresses.isEmpty() || c.file != null) {
                return usage(err, "-s Tables takes no table, addresses or file");
            }
            return ControlClient.call(socket, new ControlRequest("tables", null, null, false, c.quiet, c.verbosity(), List.of()), out, err);
        }
        if (c.table == null) return usage(err, "-T " + c.tableCommand + " needs a table: -t TABLE");
        TableCommand.Op op;
        try {
            op = TableCommand.Op.parse(c.tableCommand);
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        }
        List<String> args = new ArrayList<>(c.addresses);
        switch (op) {
            case SHOW, FLUSH, KILL -> {
                if (!args.isEmpty() || c.file != null) return usage(err, "-T " + op.word() + " takes no addresses");
            }
            case EXPIRE -> {
                if (args.size() != 1 || c.file != null) return usage(err, "-T expire takes one argument: the age in seconds");
            }
            default -> {
                if (c.file != null) {
                    try {
                        readAddresses(c.file, args);
                    } catch (IOException e) {
                        err.println("pfctl: " + c.file + ": " + e.getMessage());
                        return 1;
                    }
                }
            }
        }
        ControlRequest req = new ControlRequest("table", c.table, op.word(), c.noAction, c.quiet, Math.min(2, c.verbosity()), args);
        return ControlClient.call(socket, req, out, err);
    }

    private static int usage(PrintWriter err, String msg) {
        err.println("pfctl: " + msg);
        return 1;
    }

    /** pfctl's address file syntax: white-space separated words; '#' starts a comment to the end of the line. */
    static void readAddresses(String file, List<String> into) throws IOException {
        Reader r = file.equals("-")
                ? new InputStreamReader(stdin, StandardCharsets.UTF_8)
                : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
        try (r) {
            StringBuilder w = new StringBuilder();
            boolean comment = false;
            char[] buf = new char[1 << 16];
            for (int n; (n = r.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    char ch = buf[i];
                    if (comment) {
                        if (ch == '\n') comment = false;
                        continue;
                    }
                    if (Character.isWhitespace(ch)) {
                        if (!w.isEmpty()) {
                            into.add(w.toString());
                            w.setLength(0);
                        }
                    } else if (ch == '#' && w.isEmpty()) {
                        comment = true;
                    } else {
                        w.append(ch);
                    }
                }
            }
            if (!w.isEmpty()) into.add(w.toString());
        }
    }
}
