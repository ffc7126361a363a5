package dev.palisade.app.cli;

import dev.palisade.app.control.ControlClient;
import dev.palisade.app.control.ControlRequest;
import dev.palisade.app.daemon.Defaults;
import dev.palisade.core.table.TableCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
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
        int rc = 0;
        if (op == TableCommand.Op.ADD || op == TableCommand.Op.DELETE || op == TableCommand.Op.REPLACE || op == TableCommand.Op.TEST) {
            List<String> bad = new ArrayList<>();
            args = resolveNames(args, bad);
            for (String b : bad) err.println("pfctl: " + b);
            if (!bad.isEmpty()) rc = 1;
        }
        ControlRequest req = new ControlRequest("table", c.table, op.word(), c.noAction, c.quiet, Math.min(2, c.verbosity()), args);
        return Math.max(rc, ControlClient.call(socket, req, out, err));
    }

    /** Resolves host names; tests replace it. */
    interface Resolver {
        InetAddress[] all(String name) throws UnknownHostException;
    }

    static Resolver resolver = InetAddress::getAllByName;

    /**
     * pfctl resolves a host name given as a table address and uses every
     * address it returns (each keeps the name's {@code !} and {@code /len}).
     * A word is a host name when it is not an address and has host-name
     * syntax (letters, digits, '-', '.', '_', at least one letter); anything
     * else goes to palisaded as it is, which reports bad addresses. A name
     * that does not resolve is reported by name in {@code bad} and left out.
     */
    static List<String> resolveNames(List<String> args, List<String> bad) {
        List<String> r = null;
        for (int i = 0; i < args.size(); i++) {
            String w = args.get(i);
            int k = 0;
            while (k < w.length() && w.charAt(k) == '!') k++;
            int slash = w.indexOf('/', k);
            String name = slash < 0 ? w.substring(k) : w.substring(k, slash);
            if (!hostName(name)) {
                if (r != null) r.add(w);
                continue;
            }
            if (r == null) r = new ArrayList<>(args.subList(0, i));
            String bang = w.substring(0, k);
            String len = slash < 0 ? "" : w.substring(slash);
            try {
                for (InetAddress a : resolver.all(name)) {
                    String h = a.getHostAddress();
                    int pct = h.indexOf('%');
                    r.add(bang + (pct < 0 ? h : h.substring(0, pct)) + len);
                }
            } catch (UnknownHostException e) {
                bad.add("\"" + w + "\": host name does not resolve: no address found for " + name);
            }
        }
        return r == null ? args : r;
    }

    private static boolean hostName(String s) {
        if (s.isEmpty() || s.length() > 253) return false;
        boolean letter = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) letter = true;
            else if (!((ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_')) return false;
        }
        return letter && s.charAt(0) != '.' && s.charAt(0) != '-';
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
