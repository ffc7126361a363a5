package dev.palisade.app.cli;

import dev.palisade.app.control.ControlClient;
import dev.palisade.app.control.ControlRequest;
import dev.palisade.app.daemon.Defaults;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * pfctl's kernel modes, run by palisaded through the control socket
 * (docs/palisade.8.md): {@code -f FILE} (load atomically), {@code -e}, {@code -d},
 * {@code -F rules|states|all}, {@code -k HOST}, {@code -s rules|labels|states|info|timeouts}.
 */
final class PfctlKernel {

    private static final List<String> SHOWS = List.of("rules", "labels", "states", "info", "timeouts");

    private final PfctlCommand c;

    PfctlKernel(PfctlCommand c) {
        this.c = c;
    }

    /** True when the command line is one of the modes above (after -n and -t/-T are ruled out). */
    static boolean handles(PfctlCommand c) {
        return (c.file != null && !c.noAction) || c.show != null || !c.kill.isEmpty() || c.flush != null || c.enable || c.disable;
    }

    int run(PrintWriter out, PrintWriter err) {
        Path socket = c.socket != null ? c.socket : Defaults.socket();
        List<ControlRequest> reqs = new ArrayList<>();
        if (c.disable) reqs.add(req("disable", null, List.of()));
        if (c.flush != null) {
            String f = expand(c.flush, List.of("rules", "states", "Tables", "all"));
            if (f == null) return usage(err, "-F " + c.flush + ": expected rules, states, Tables or all");
            if (f.equals("Tables") || f.equals("all")) {
                err.println("pfctl: -F " + f + ": flush tables one by one with -t TABLE -T flush (palisade keeps tables durable)");
                if (f.equals("Tables")) return 1;
            }
            if (f.equals("rules") || f.equals("all")) reqs.add(req("flush", "rules", List.of()));
            if (f.equals("states") || f.equals("all")) reqs.add(req("flush", "states", List.of()));
        }
        if (c.file != null) {
            if (c.file.equals("-")) return usage(err, "-f - (standard input) is not supported for loading: give a file");
            Path p = Path.of(c.file).toAbsolutePath();
            if (!Files.isReadable(p)) {
                err.println("pfctl: " + c.file + ": No such file or directory");
                return 1;
            }
            reqs.add(req("load", null, List.of(p.toString())));
        }
        if (!c.kill.isEmpty()) reqs.add(req("kill", null, c.kill));
        if (c.enable) reqs.add(req("enable", null, List.of()));
        if (c.show != null) {
            String s = expand(c.show, SHOWS);
            if (s == null) return usage(err, "-s " + c.show + ": expected rules, labels, states, info, Tables or timeouts");
            reqs.add(req("show", s, c.nft && s.equals("rules") ? List.of("nft") : List.of()));
        }
        for (ControlRequest r : reqs) {
            int rc = ControlClient.call(socket, r, out, err);
            if (rc != 0) return rc;
        }
        return 0;
    }

    private ControlRequest req(String command, String op, List<String> args) {
        return new ControlRequest(command, null, op, false, c.quiet, c.verbosity(), args);
    }

    /** pfctl accepts unique prefixes of modifiers ({@code -s r}, {@code -F s}). */
    static String expand(String given, List<String> words) {
        if (given.isEmpty()) return null;
        String found = null;
        for (String w : words) {
            if (w.equals(given)) return w;
            if (w.startsWith(given)) {
                if (found != null) return null;
                found = w;
            }
        }
        return found;
    }

    private static int usage(PrintWriter err, String msg) {
        err.println("pfctl: " + msg);
        return 1;
    }
}
