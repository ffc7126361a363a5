package dev.palisade.kernel.divert;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The fallback divert path for kernels without nft's queue expression:
 * packets that Palisade's nft program marked go to the xt NFQUEUE target.
 *
 * <p>Design: Palisade's table marks a packet to divert with
 * {@code meta mark set MARK} in a chain that runs before iptables' filter
 * chains (priority below 0). A chain of our own, {@code PALISADE-DIVERT},
 * in iptables' and ip6tables' filter table, jumped to first from INPUT,
 * FORWARD and OUTPUT, sends packets carrying the mark to the queue:
 * {@code -m mark --mark MARK -j NFQUEUE --queue-num N [--queue-bypass]}.
 * Nothing else of iptables is touched; {@link #remove} deletes exactly what
 * {@link #install} made.
 */
public final class XtDivert {

    public static final String CHAIN = "PALISADE-DIVERT";
    private static final List<String> HOOKS = List.of("INPUT", "FORWARD", "OUTPUT");

    /** One divert: packets with {@code mark} go to {@code queue}; {@code bypass} lets them pass when no one listens. */
    public record Rule(int queue, int mark, boolean bypass) {
        public Rule {
            if (queue < 0 || queue > 65535) throw new IllegalArgumentException("queue " + queue + ": expected 0 to 65535");
        }
    }

    private final String netns;

    public XtDivert(String netns) {
        this.netns = netns;
    }

    /** Creates the chain with these rules (replacing its old rules) and hooks it in; marks match exactly. */
    public void install(List<Rule> rules) throws IOException, InterruptedException {
        install(rules, 0xffffffff);
    }

    /**
     * As {@link #install(List)}, but a rule matches when {@code mark & mask == rule.mark}
     * ({@code -m mark --mark MARK/MASK}): the nftables compiler keeps other bits of the
     * mark (tags) and uses {@code NftCompiler.DIVERT_MASK}.
     */
    public void install(List<Rule> rules, int mask) throws IOException, InterruptedException {
        for (String tool : List.of("iptables", "ip6tables")) {
            if (ipt(tool, "-N", CHAIN) != 0) ipt(tool, "-F", CHAIN);
            for (Rule r : rules) {
                List<String> a = new ArrayList<>(List.of("-A", CHAIN, "-m", "mark", "--mark",
                        "0x" + Integer.toHexString(r.mark()) + "/0x" + Integer.toHexString(mask),
                        "-j", "NFQUEUE", "--queue-num", Integer.toString(r.queue())));
                if (r.bypass()) a.add("--queue-bypass");
                check(tool, ipt(tool, a.toArray(String[]::new)), a);
            }
            for (String hook : HOOKS) {
                if (ipt(tool, "-C", hook, "-j", CHAIN) != 0) {
                    check(tool, ipt(tool, "-I", hook, "1", "-j", CHAIN), List.of("-I", hook, "1", "-j", CHAIN));
                }
            }
        }
    }

    /** Unhooks and deletes the chain; absent pieces are no error. */
    public void remove() throws IOException, InterruptedException {
        for (String tool : List.of("iptables", "ip6tables")) {
            for (String hook : HOOKS) {
                while (ipt(tool, "-D", hook, "-j", CHAIN) == 0) {
                    // every jump we made
                }
            }
            ipt(tool, "-F", CHAIN);
            ipt(tool, "-X", CHAIN);
        }
    }

    private static void check(String tool, int rc, List<String> args) throws IOException {
        if (rc != 0) throw new IOException(tool + " " + String.join(" ", args) + ": failed (exit " + rc + ")");
    }

    private int ipt(String tool, String... args) throws IOException, InterruptedException {
        List<String> a = new ArrayList<>(List.of(tool, "-w"));
        a.addAll(List.of(args));
        return QueueFeatures.run(netns, "", a.toArray(String[]::new));
    }
}
