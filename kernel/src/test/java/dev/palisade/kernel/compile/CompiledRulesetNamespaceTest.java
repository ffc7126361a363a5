package dev.palisade.kernel.compile;

import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.kernel.NetnsPair;
import dev.palisade.kernel.nft.NftRunner;
import dev.palisade.kernel.nft.NftSet;
import dev.palisade.kernel.nft.NftSets;
import dev.palisade.kernel.nft.SetElement;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compiled rulesets loaded into a real kernel: namespace b runs the
 * firewall and TCP listeners, namespace a connects over a veth pair (and the
 * reverse for state tests). Each connect has a deadline: a dropped SYN shows
 * as a timeout, a reset as an immediate refusal.
 */
class CompiledRulesetNamespaceTest {

    enum Outcome { CONNECTED, REFUSED, TIMEOUT }

    static final int BLOCKED_WAIT_MS = 600;

    record Try(Outcome outcome, long millis) {
    }

    /** Compiles {@code conf} for namespace b's host and loads it there; returns the program. */
    static NftProgram load(NetnsPair ns, String conf) throws Exception {
        HostProfile host = HostProfile.parse("interface lo 127.0.0.1/8 ::1/128\ninterface " + ns.vethB + " "
                + ns.b4 + "/24 " + ns.b6 + "/64\n", "netns");
        var rs = CompilerFixtures.parse("ns.conf", conf, host);
        NftProgram p = switch (NftCompiler.compile(rs, host, NftCompiler.Options.defaults())) {
            case CompileResult.Compiled c -> c.program();
            case CompileResult.Refused r -> throw new AssertionError("refused: " + r.errors());
        };
        new NftRunner("palisade", ns.b, 30_000).load(p.text());
        return p;
    }

    /** Listeners on these ports in namespace {@code where}, accepting until closed. */
    static List<ServerSocket> listen(NetnsPair ns, String where, int... ports) throws Exception {
        List<ServerSocket> out = new ArrayList<>();
        for (int port : ports) {
            ServerSocket s = ns.in(where, () -> {
                ServerSocket ss = new ServerSocket();
                ss.setReuseAddress(true);
                ss.bind(new InetSocketAddress("0.0.0.0", port));
                return ss;
            });
            out.add(s);
            Thread.ofVirtual().start(() -> {
                while (!s.isClosed()) {
                    try (Socket c = s.accept()) {
                        c.getOutputStream().write('x');
                    } catch (IOException e) {
                        // closed
                    }
                }
            });
        }
        return out;
    }

    static Try connect(NetnsPair ns, String from, String to, int port) throws Exception {
        return ns.in(from, () -> {
            long t0 = System.nanoTime();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(to, port), BLOCKED_WAIT_MS);
                return new Try(Outcome.CONNECTED, (System.nanoTime() - t0) / 1_000_000);
            } catch (SocketTimeoutException e) {
                return new Try(Outcome.TIMEOUT, (System.nanoTime() - t0) / 1_000_000);
            } catch (ConnectException e) {
                return new Try(e.getMessage() != null && e.getMessage().contains("timed out") ? Outcome.TIMEOUT
                        : Outcome.REFUSED, (System.nanoTime() - t0) / 1_000_000);
            }
        });
    }

    static void closeAll(List<ServerSocket> l) {
        for (ServerSocket s : l) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    static long counterPackets(NetnsPair ns, String name) throws Exception {
        String out = ns.exec(ns.b, "nft", "list", "counter", "inet", "palisade", name);
        Matcher m = Pattern.compile("packets (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        return Long.parseLong(m.group(1));
    }

    @Test
    void passBlockByPortAddressQuickAgainstLastMatchReturnRstAndLabels() throws Exception {
        try (NetnsPair ns = NetnsPair.create()) {
            NftProgram p = load(ns, """
                    block return in proto tcp all
                    pass in proto tcp to port { 8001, 8002 } label "web"
                    block in proto tcp to port 8002
                    pass in quick proto tcp to port 8003
                    block in proto tcp to port 8003
                    block in quick proto tcp from %s to port 8004
                    pass in proto tcp to port 8004
                    pass in proto tcp from %s to port 8006
                    block return-rst in proto tcp to port 8006
                    pass in quick proto tcp to port 8007 once
                    """.formatted(ns.a4, ns.a4));
            List<ServerSocket> ls = listen(ns, ns.b, 8001, 8002, 8003, 8004, 8005, 8006, 8007);
            try {
                assertEquals(Outcome.CONNECTED, connect(ns, ns.a, ns.b4, 8001).outcome(), "pass by port");
                assertEquals(Outcome.TIMEOUT, connect(ns, ns.a, ns.b4, 8002).outcome(), "a later block wins (last match)");
                assertEquals(Outcome.CONNECTED, connect(ns, ns.a, ns.b4, 8003).outcome(), "quick pass beats a later block");
                assertEquals(Outcome.TIMEOUT, connect(ns, ns.a, ns.b4, 8004).outcome(), "quick block by address");
                Try ret = connect(ns, ns.a, ns.b4, 8005);
                assertEquals(Outcome.REFUSED, ret.outcome(), "block return answers TCP with a reset");
                assertTrue(ret.millis() < BLOCKED_WAIT_MS / 2, "refused at once, not timed out: " + ret.millis() + " ms");
                Try rst = connect(ns, ns.a, ns.b4, 8006);
                assertEquals(Outcome.REFUSED, rst.outcome(), "return-rst, the last matching rule");
                assertTrue(rst.millis() < BLOCKED_WAIT_MS / 2, "return-rst at once: " + rst.millis() + " ms");
                assertEquals(Outcome.CONNECTED, connect(ns, ns.a, ns.b4, 8007).outcome(), "a once rule's first match");
                assertEquals(Outcome.REFUSED, connect(ns, ns.a, ns.b4, 8007).outcome(), "the once rule is used up");
                String web = p.labelCounters().get("web");
                long before = counterPackets(ns, web);
                assertTrue(before >= 1, "the label counted the first connection: " + before);
                assertEquals(Outcome.CONNECTED, connect(ns, ns.a, ns.b4, 8001).outcome());
                assertTrue(counterPackets(ns, web) > before, "the label counter moves");
            } finally {
                closeAll(ls);
            }
        }
    }

    @Test
    void statefulRepliesPassWhileReverseNewConnectionsAndStatelessRepliesAreBlocked() throws Exception {
        try (NetnsPair ns = NetnsPair.create()) {
            load(ns, """
                    block all
                    pass out proto tcp to port 9001
                    pass out proto tcp to port { 9003, 9004 } no state
                    pass in proto tcp from port 9004 no state
                    """);
            List<ServerSocket> inA = listen(ns, ns.a, 9001, 9003, 9004);
            List<ServerSocket> inB = listen(ns, ns.b, 9002, 9001);
            try {
                assertEquals(Outcome.CONNECTED, connect(ns, ns.b, ns.a4, 9001).outcome(),
                        "b's stateful connection: the replies pass the block all");
                assertEquals(Outcome.TIMEOUT, connect(ns, ns.a, ns.b4, 9002).outcome(),
                        "a new connection the other way is blocked");
                assertEquals(Outcome.TIMEOUT, connect(ns, ns.a, ns.b4, 9001).outcome(),
                        "even to the port b's own state uses");
                assertEquals(Outcome.TIMEOUT, connect(ns, ns.b, ns.a4, 9003).outcome(),
                        "no state: the reply has no rule, it is blocked");
                assertEquals(Outcome.CONNECTED, connect(ns, ns.b, ns.a4, 9004).outcome(),
                        "no state with a rule for the replies: every packet evaluated, all pass");
            } finally {
                closeAll(inA);
                closeAll(inB);
            }
        }
    }

    @Test
    void tablesBlockByInlineEntriesWithNegationAndByRunTimeAdds() throws Exception {
        try (NetnsPair ns = NetnsPair.create();
             NftSets sets = NftSets.open(ns.b)) {
            String net = "10." + ns.n + ".0.0/24";
            NftProgram p = load(ns, """
                    table <nets> { %s, !%s }
                    table <ban> persist
                    block in quick proto tcp from <nets> to port 7001
                    block in quick proto tcp from <ban>
                    pass in all
                    """.formatted(net, ns.a4));
            List<ServerSocket> ls = listen(ns, ns.b, 7001, 7002);
            try {
                assertEquals(Outcome.CONNECTED, connect(ns, ns.a, ns.b4, 7001).outcome(),
                        "a's address is negated inside <nets>: its longest match is the ! entry");
                assertEquals(Outcome.CONNECTED, connect(ns, ns.a, ns.b4, 7002).outcome());
                NftSet ban = sets.getSet(NftSet.NFPROTO_INET, "palisade", p.tableSets().get("ban").v4());
                sets.add(ban, List.of(SetElement.of(IpPrefix.parse(ns.a4))));
                assertEquals(Outcome.TIMEOUT, connect(ns, ns.a, ns.b4, 7002).outcome(), "a banned host is blocked");
            } finally {
                closeAll(ls);
            }
        }
    }

    @Test
    void rdrToRedirectsAndTheRuleMatchesTheOriginalDestination() throws Exception {
        try (NetnsPair ns = NetnsPair.create()) {
            load(ns, """
                    block in proto tcp all
                    pass in proto tcp to port 8080 rdr-to %s port 8081
                    """.formatted(ns.b4));
            List<ServerSocket> ls = listen(ns, ns.b, 8081);
            try {
                assertEquals(Outcome.CONNECTED, connect(ns, ns.a, ns.b4, 8080).outcome(),
                        "port 8080 is redirected to the listener on 8081 and passed by the rdr-to rule");
                assertEquals(Outcome.TIMEOUT, connect(ns, ns.a, ns.b4, 8081).outcome(),
                        "8081 asked directly matches no pass rule: blocked");
            } finally {
                closeAll(ls);
            }
        }
    }
}
