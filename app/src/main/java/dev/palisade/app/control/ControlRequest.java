package dev.palisade.app.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One request on palisaded's control socket (docs/control-protocol.md): a
 * version line {@code palisade-control 1}, then {@code key value} lines, then
 * an empty line. Keys: {@code command} (table, tables, why, ping),
 * {@code table}, {@code op}, {@code dummy}, {@code quiet}, {@code verbose},
 * and {@code arg} (repeatable, in order).
 */
public record ControlRequest(String command, String table, String op, boolean dummy, boolean quiet, int verbose, List<String> args) {

    public static final String VERSION_LINE = "palisade-control 1";

    public ControlRequest {
        Objects.requireNonNull(command, "command");
        args = List.copyOf(args);
    }

    public void write(Writer w) throws IOException {
        w.write(VERSION_LINE + "\n");
        w.write("command " + command + "\n");
        if (table != null) w.write("table " + table + "\n");
        if (op != null) w.write("op " + op + "\n");
        if (dummy) w.write("dummy 1\n");
        if (quiet) w.write("quiet 1\n");
        if (verbose > 0) w.write("verbose " + verbose + "\n");
        for (String a : args) {
            if (a.indexOf('\n') >= 0 || a.indexOf('\r') >= 0) throw new IllegalArgumentException("argument with a line break: \"" + a + "\"");
            w.write("arg " + a + "\n");
        }
        w.write("\n");
        w.flush();
    }

    /** Reads one request; throws with a message naming what was wrong. */
    public static ControlRequest read(BufferedReader r) throws IOException {
        String v = r.readLine();
        if (v == null) throw new IOException("connection closed before a request");
        if (!VERSION_LINE.equals(v)) throw new IOException("bad version line \"" + v + "\": expected \"" + VERSION_LINE + "\"");
        String command = null, table = null, op = null;
        boolean dummy = false, quiet = false;
        int verbose = 0;
        List<String> args = new ArrayList<>();
        for (String line; (line = r.readLine()) != null && !line.isEmpty(); ) {
            int sp = line.indexOf(' ');
            String key = sp < 0 ? line : line.substring(0, sp);
            String val = sp < 0 ? "" : line.substring(sp + 1);
            switch (key) {
                case "command" -> command = val;
                case "table" -> table = val;
                case "op" -> op = val;
                case "dummy" -> dummy = val.equals("1");
                case "quiet" -> quiet = val.equals("1");
                case "verbose" -> {
                    try {
                        verbose = Integer.parseInt(val);
                    } catch (NumberFormatException e) {
                        throw new IOException("bad verbose value \"" + val + "\": expected 0, 1 or 2");
                    }
                }
                case "arg" -> args.add(val);
                default -> throw new IOException("unknown request key \"" + key + "\"");
            }
        }
        if (command == null) throw new IOException("request without a command line");
        return new ControlRequest(command, table, op, dummy, quiet, verbose, args);
    }
}
