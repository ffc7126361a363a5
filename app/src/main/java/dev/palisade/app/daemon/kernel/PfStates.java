package dev.palisade.app.daemon.kernel;

import dev.palisade.kernel.compile.NftCompiler;
import dev.palisade.kernel.conntrack.Conntrack;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pfctl -s states} lines from conntrack entries that Palisade's
 * stateful rules made (the ct mark's state bits).
 *
 * <p>Why this shape: pf keeps one state per connection with a direction and a
 * state level per peer; conntrack keeps one TCP state for the pair. The
 * direction comes from the mark bit the compiler set ({@code CT_IN}: made by an
 * {@code in} rule, printed {@code ours <- theirs} as pfctl does; {@code CT_OUT}:
 * {@code src -> dst}); the peer levels are conntrack's state mapped onto pf's
 * names ({@link #tcpLevels}), an approximation for the half-closed states. The
 * interface is always {@code all}: states are floating (state-policy if-bound is
 * refused by the compiler).
 */
final class PfStates {
    private PfStates() {
    }

    /** The state's lines: one, and with {@code verbose} a second of details. */
    static List<String> lines(Conntrack.State s, boolean v6, boolean verbose) {
        Conntrack.Entry e = s.entry();
        boolean in = (s.mark() & NftCompiler.CT_IN) != 0;
        String src = host(e.src().toString(), e.sport(), v6);
        String dst = host(e.dst().toString(), e.dport(), v6);
        String rdst = host(s.replySrc().toString(), s.replySport(), v6);
        // after a dnat the reply comes from the translated address: pf prints the wire address, then (the real one)
        if (!rdst.equals(dst)) dst = dst + " (" + rdst + ")";
        String[] lv = levels(s);
        StringBuilder sb = new StringBuilder("all ").append(proto(e.proto())).append(' ');
        if (in) sb.append(dst).append(" <- ").append(src);
        else sb.append(src).append(" -> ").append(dst);
        sb.append("       ").append(in ? lv[1] : lv[0]).append(':').append(in ? lv[0] : lv[1]);
        List<String> out = new ArrayList<>(2);
        out.add(sb.toString());
        if (verbose) {
            StringBuilder d = new StringBuilder("   expires in ").append(hms(s.timeout()));
            if (s.packets()[0] >= 0) {
                d.append(", ").append(s.packets()[0]).append(':').append(s.packets()[1]).append(" pkts, ")
                        .append(s.bytes()[0]).append(':').append(s.bytes()[1]).append(" bytes");
            }
            d.append(String.format(", ct mark 0x%08x", s.mark()));
            out.add(d.toString());
        }
        return out;
    }

    /** pf's level names for the opener and the responder. */
    static String[] levels(Conntrack.State s) {
        int p = s.entry().proto();
        if (p == 6) return tcpLevels(s.tcpState());
        if (p == 1 || p == 58) return new String[]{"0", "0"};
        return s.seenReply() ? new String[]{"MULTIPLE", "MULTIPLE"} : new String[]{"SINGLE", "NO_TRAFFIC"};
    }

    /** conntrack's TCP state (include/uapi/linux/netfilter/nf_conntrack_tcp.h) as pf's opener:responder levels. */
    static String[] tcpLevels(int ct) {
        return switch (ct) {
            case 1 -> new String[]{"SYN_SENT", "CLOSED"};
            case 2 -> new String[]{"SYN_SENT", "SYN_RCVD"};
            case 3 -> new String[]{"ESTABLISHED", "ESTABLISHED"};
            case 4 -> new String[]{"FIN_WAIT_1", "ESTABLISHED"};
            case 5 -> new String[]{"FIN_WAIT_2", "CLOSE_WAIT"};
            case 6 -> new String[]{"FIN_WAIT_2", "LAST_ACK"};
            case 7 -> new String[]{"TIME_WAIT", "TIME_WAIT"};
            case 8 -> new String[]{"CLOSED", "CLOSED"};
            case 9 -> new String[]{"SYN_SENT", "SYN_SENT"};
            default -> new String[]{"CLOSED", "CLOSED"};
        };
    }

    static String host(String a, int port, boolean v6) {
        if (port == 0) return a;
        return a + (v6 ? "[" + port + "]" : ":" + port);
    }

    static String proto(int p) {
        return switch (p) {
            case 6 -> "tcp";
            case 17 -> "udp";
            case 1 -> "icmp";
            case 58 -> "ipv6-icmp";
            default -> Integer.toString(p);
        };
    }

    private static String hms(long secs) {
        return String.format("%02d:%02d:%02d", secs / 3600, secs / 60 % 60, secs % 60);
    }
}
