package dev.palisade.app.daemon.kernel;

import dev.palisade.app.control.ControlRequest;
import dev.palisade.app.daemon.Palisaded;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.kernel.conntrack.Conntrack;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control commands of the kernel side (docs/control-protocol.md):
 * {@code load} ({@code pfctl -f}), {@code kill} ({@code -k}), {@code show}
 * ({@code -s rules|labels|states|info|timeouts}), {@code flush}
 * ({@code -F rules|states|all}), {@code enable}/{@code disable} ({@code -e}/{@code -d}).
 */
public final class KernelControl implements Palisaded.Extension {

    private static final Logger log = LoggerFactory.getLogger("palisaded.kernel");
    private static final Set<String> COMMANDS = Set.of("load", "kill", "show", "flush", "enable", "disable");

    private final KernelSide kernel;

    public KernelControl(KernelSide kernel) {
        this.kernel = kernel;
    }

    @Override
    public boolean handles(String command) {
        return COMMANDS.contains(command);
    }

    @Override
    public int handle(ControlRequest req, String who, BiConsumer<Character, String> out) {
        try {
            return switch (req.command()) {
                case "load" -> load(req, who, out);
                case "kill" -> kill(req, out);
                case "show" -> show(req, out);
                case "flush" -> flush(req, who, out);
                case "enable" -> {
                    kernel.enable();
                    out.accept('2', "pf enabled");
                    yield 0;
                }
                case "disable" -> {
                    kernel.disable();
                    out.accept('2', "pf disabled");
                    yield 0;
                }
                default -> throw new IllegalArgumentException("unknown request " + req.command());
            };
        } catch (KernelSide.KernelException e) {
            for (String l : e.lines()) out.accept('2', l);
            return 1;
        } catch (IllegalStateException e) {
            out.accept('2', "pfctl: " + e.getMessage());
            return 1;
        } catch (dev.palisade.kernel.netlink.ErrnoException e) {
            out.accept('2', "pfctl: " + e.getMessage());
            return 1;
        }
    }

    private int load(ControlRequest req, String who, BiConsumer<Character, String> out) {
        if (req.args().size() != 1) throw new IllegalArgumentException("load needs one file, got " + req.args().size());
        Path f = Path.of(req.args().get(0));
        if (!f.isAbsolute()) throw new IllegalArgumentException("load needs an absolute path, got \"" + f + "\"");
        List<String> errs = kernel.reload(f);
        if (!errs.isEmpty()) {
            for (String l : errs) out.accept('2', l);
            out.accept('2', "pfctl: Syntax error in config file: pf rules not loaded");
            log.warn("{}: pfctl -f {} refused ({} errors); the previous ruleset stays", who, f, errs.size());
            return 1;
        }
        log.info("{}: ruleset {} loaded", who.isEmpty() ? "control" : who, f);
        return 0;
    }

    private int kill(ControlRequest req, BiConsumer<Character, String> out) throws dev.palisade.kernel.netlink.ErrnoException {
        List<IpPrefix> hosts = new ArrayList<>();
        for (String a : req.args()) {
            try {
                hosts.add(IpPrefix.parse(a));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-k " + a + ": not an address or prefix: " + e.getMessage());
            }
        }
        if (hosts.isEmpty()) throw new IllegalArgumentException("-k needs a host");
        int n = kernel.killStates(hosts);
        out.accept('2', "killed " + n + " states from " + hosts.size() + " sources and 0 destinations");
        return 0;
    }

    private int show(ControlRequest req, BiConsumer<Character, String> out) throws KernelSide.KernelException,
            dev.palisade.kernel.netlink.ErrnoException {
        String what = req.op() == null ? "" : req.op();
        switch (what) {
            case "labels" -> {
                for (Map.Entry<String, long[]> e : kernel.labelCounters().entrySet()) {
                    long p = e.getValue()[0], b = e.getValue()[1];
                    // pf: label evaluations packets bytes in-packets in-bytes out-packets out-bytes states
                    out.accept('1', e.getKey() + " 0 " + p + " " + b + " " + p + " " + b + " 0 0 0");
                }
                return 0;
            }
            case "rules" -> {
                if (req.args().contains("nft")) {
                    String text = kernel.listRules();
                    for (String l : text.split("\n")) {
                        if (req.verbose() > 0 || !l.isBlank()) out.accept('1', l);
                    }
                    return 0;
                }
                KernelSide.Prepared.Ok p = kernel.current();
                if (p == null) return 0;
                Map<String, long[]> counts = req.verbose() > 0 ? kernel.ruleCounters() : Map.of();
                for (String l : rulesText(p.ruleset().rules(), counts, req.verbose())) out.accept('1', l);
                return 0;
            }
            case "info" -> {
                out.accept('1', "Status: " + (kernel.available() ? (kernel.enabled() ? "Enabled" : "Disabled")
                        : "No kernel (" + kernel.unavailableReason() + ")"));
                KernelSide.Prepared.Ok p = kernel.current();
                out.accept('1', "Ruleset: " + (p == null ? "none" : p.source()));
                if (p != null && p.program() != null) {
                    out.accept('1', "Tables in the kernel: " + p.program().tableSets().size());
                    out.accept('1', "Labels: " + p.program().labelCounters().size());
                }
                return 0;
            }
            case "states" -> {
                for (boolean v6 : new boolean[]{false, true}) {
                    for (Conntrack.State st : kernel.states(v6)) {
                        for (String l : PfStates.lines(st, v6, req.verbose() > 0)) out.accept('1', l);
                    }
                }
                return 0;
            }
            case "timeouts" -> {
                for (String[] t : TIMEOUTS) {
                    Path f = Path.of("/proc/sys/net/netfilter/nf_conntrack_" + t[1]);
                    String v;
                    try {
                        v = java.nio.file.Files.readString(f).strip() + "s";
                    } catch (java.io.IOException e) {
                        v = "-";
                    }
                    out.accept('1', String.format("%-20s %9s   (conntrack %s)", t[0], v, t[1]));
                }
                return 0;
            }
            default -> throw new IllegalArgumentException("-s " + what + ": expected rules, labels, states, info or timeouts");
        }
    }

    /**
     * {@code pfctl -s rules}: each loaded rule in pf's canonical syntax ({@code -vv}: with its
     * {@code @N}); with {@code -v} pfctl's counters line under it, packets and bytes from the counters
     * of the rule's kernel lines ({@code counts}: FILE:LINE to {packets, bytes}; rules expanded from one
     * line share its figure). XXX evaluations and states are 0: nftables evaluates in first-match order,
     * so no chain position sees the packets pf evaluates a rule for, and the ct mark carries the
     * direction, not the rule (docs/palisade.8.md).
     */
    static List<String> rulesText(List<dev.palisade.core.lang.FilterRule> rules, Map<String, long[]> counts, int verbose) {
        List<String> out = new ArrayList<>();
        for (dev.palisade.core.lang.FilterRule r : rules) {
            out.add(dev.palisade.core.lang.Printer.rule(r, verbose));
            if (verbose > 0) {
                long[] c = counts.getOrDefault(r.file() + ":" + r.line(), new long[2]);
                out.add(String.format("  [ Evaluations: %-8d  Packets: %-8d  Bytes: %-10d  States: %-6d]", 0, c[0], c[1], 0));
            }
        }
        return out;
    }

    /**
     * pf's timeout names and the conntrack sysctl that plays their part (one
     * table, read by {@code -s timeouts}). XXX pf.conf's {@code set timeout}
     * is not written to these sysctls (they are per network namespace and
     * shared with everything else in it).
     */
    static final String[][] TIMEOUTS = {
            {"tcp.first", "tcp_timeout_syn_sent"},
            {"tcp.opening", "tcp_timeout_syn_recv"},
            {"tcp.established", "tcp_timeout_established"},
            {"tcp.closing", "tcp_timeout_close_wait"},
            {"tcp.finwait", "tcp_timeout_fin_wait"},
            {"tcp.closed", "tcp_timeout_time_wait"},
            {"udp.first", "udp_timeout"},
            {"udp.single", "udp_timeout"},
            {"udp.multiple", "udp_timeout_stream"},
            {"icmp.first", "icmp_timeout"},
            {"icmp.error", "icmp_timeout"},
            {"other.first", "generic_timeout"},
            {"other.single", "generic_timeout"},
            {"other.multiple", "generic_timeout"},
            {"frag", "frag6_timeout"},
    };

    private int flush(ControlRequest req, String who, BiConsumer<Character, String> out) throws KernelSide.KernelException,
            dev.palisade.kernel.netlink.ErrnoException {
        String what = req.op() == null ? "" : req.op();
        switch (what) {
            case "states" -> {
                int n = kernel.killStates(List.of(IpPrefix.parse("0.0.0.0/0"), IpPrefix.parse("::/0")));
                out.accept('2', n + " states cleared");
                return 0;
            }
            case "rules" -> {
                kernel.disable();
                out.accept('2', "rules cleared");
                return 0;
            }
            default -> throw new IllegalArgumentException("-F " + what + ": expected rules or states (Tables through -T)");
        }
    }
}
