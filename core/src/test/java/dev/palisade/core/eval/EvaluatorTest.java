package dev.palisade.core.eval;

import static dev.palisade.core.packet.TestPackets.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.packet.Packet;
import dev.palisade.core.table.Origin;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden verdicts: small rulesets, handmade packets. */
class EvaluatorTest {
    static final byte[] NONE = new byte[0];

    static byte[] syn(String s, String d, int sport, int dport) {
        return v4(6, s, d, tcp(sport, dport, 1000, 0, Packet.TH_SYN, 65535, NONE, NONE));
    }

    static byte[] udp4(String s, String d, int sport, int dport) {
        return v4(17, s, d, udp(sport, dport, new byte[4]));
    }

    @Test
    void lastMatchWinsQuickStopsDefaultPasses() {
        EvalFixture f = new EvalFixture("block all\npass in proto tcp to port 22\nblock in quick proto tcp from 10.0.0.0/8\npass in proto tcp from 10.1.0.0/16\n");
        Decision d = f.in("eth0", syn("192.0.2.9", "192.0.2.1", 4000, 22));
        assertTrue(d.pass());
        assertEquals(1, d.rule());
        assertTrue(d.stateCreated(), "pass rules keep state by default");
        d = f.in("eth0", syn("10.1.2.3", "192.0.2.1", 4000, 22));
        assertFalse(d.pass(), "quick block stops before the later pass");
        assertEquals(2, d.rule());
        d = f.in("eth0", syn("192.0.2.9", "192.0.2.1", 4000, 80));
        assertFalse(d.pass());
        assertEquals(0, d.rule());
        EvalFixture empty = new EvalFixture("pass out proto udp\n");
        d = empty.in("eth0", syn("192.0.2.9", "192.0.2.1", 4000, 80));
        assertTrue(d.pass());
        assertEquals(Decision.Reason.DEFAULT, d.reason());
        assertEquals(-1, d.state());
    }

    @Test
    void stateMatchesRepliesAndIcmpErrorsQuotingTheFlow() {
        EvalFixture f = new EvalFixture("block all\npass out proto udp\n");
        byte[] q = udp4("192.0.2.1", "203.0.113.5", 5000, 53);
        Decision d = f.out("eth0", q);
        assertTrue(d.pass() && d.stateCreated());
        d = f.in("eth0", udp4("203.0.113.5", "192.0.2.1", 53, 5000));
        assertEquals(Decision.Reason.STATE, d.reason());
        assertEquals(1, d.rule());
        byte[] quoted = java.util.Arrays.copyOf(q, 28);
        d = f.in("eth0", v4(1, "203.0.113.5", "192.0.2.1", icmp(3, 3, 0, 0, quoted)));
        assertEquals(Decision.Reason.STATE, d.reason(), "ICMP error about the flow matches its state");
        d = f.in("eth0", udp4("203.0.113.5", "192.0.2.1", 53, 5001));
        assertFalse(d.pass());
        assertEquals(0, d.rule());
    }

    @Test
    void matchRulesAccumulateTagsAndTaggedTestsThem() {
        EvalFixture f = new EvalFixture("match in proto tcp tag SSH\nmatch in log proto udp\nblock all\npass in tagged SSH no state\n");
        Decision d = f.in("eth0", syn("192.0.2.9", "192.0.2.1", 4000, 22));
        assertTrue(d.pass());
        assertEquals(3, d.rule());
        assertEquals("SSH", d.tag());
        d = f.in("eth0", udp4("192.0.2.9", "192.0.2.1", 4000, 22));
        assertFalse(d.pass());
        assertNotEquals(0, d.log(), "the match rule's log accumulates");
    }

    @Test
    void tablesLongestPrefixWithNegation() {
        EvalFixture f = new EvalFixture("table <t> { 10.0.0.0/8 !10.1.0.0/16 10.1.2.0/24 }\nblock in quick from <t>\npass all no state\n");
        RulesetTables.load(f.ruleset, f.tables, 0);
        assertFalse(f.in("eth0", udp4("10.9.9.9", "192.0.2.1", 1, 2)).pass());
        assertTrue(f.in("eth0", udp4("10.1.9.9", "192.0.2.1", 1, 2)).pass(), "negated entry is the longest prefix");
        assertFalse(f.in("eth0", udp4("10.1.2.9", "192.0.2.1", 1, 2)).pass(), "longer positive entry inside the negated one");
        assertTrue(f.in("eth0", udp4("11.0.0.1", "192.0.2.1", 1, 2)).pass());
        f.tables.add("t", IpPrefix.parse("11.0.0.0/8"), null, new Origin.Manual("test"));
        assertFalse(f.in("eth0", udp4("11.0.0.1", "192.0.2.1", 1, 2)).pass(), "run-time additions count");
    }

    @Test
    void portsUsersInterfacesGroupsDirectionAf() {
        EvalFixture f = new EvalFixture("""
                block all
                pass in on egress inet proto tcp to port 1000:2000 no state
                pass out on ! eth0 proto udp user 0 no state
                pass out proto udp to port 7 user != 5 no state
                pass in inet6 all no state
                """);
        assertTrue(f.in("eth0", syn("192.0.2.9", "192.0.2.1", 9, 1500)).pass(), "group egress holds eth0");
        assertFalse(f.in("eth1", syn("192.0.2.9", "192.0.2.1", 9, 1500)).pass(), "eth1 is not in egress");
        assertFalse(f.in("eth0", syn("192.0.2.9", "192.0.2.1", 9, 2001)).pass());
        assertFalse(f.out("eth1", udp4("198.51.100.1", "203.0.113.1", 9, 9)).pass(), "uid unknown never equals 0");
        assertTrue(f.eval.evaluate(EvalFixture.decode(udp4("198.51.100.1", "203.0.113.1", 9, 9)),
                new PacketMeta("eth1", false, 0, 0)).pass(), "a local socket of root");
        Decision d = f.out("eth0", udp4("192.0.2.1", "203.0.113.1", 9, 7));
        assertTrue(d.pass(), "unknown uid != 5 holds (pf_match_uid)");
        assertEquals(3, d.rule());
        assertTrue(f.in("eth0", v6(17, "2001:db8::9", "2001:db8::1", udp(1, 2, NONE))).pass());
        assertFalse(f.out("eth0", v6(17, "2001:db8::9", "2001:db8::1", udp(1, 2, NONE))).pass(), "inet6 rule is in only");
    }

    @Test
    void selfAndDynamicAddressesFromTheHost() {
        EvalFixture f = new EvalFixture("block all\npass in to self no state\npass in from (eth1:network) no state\n");
        assertEquals(2, line(f, f.in("eth0", udp4("203.0.113.9", "192.0.2.1", 1, 2))), "self expands to the host's addresses");
        assertEquals(1, line(f, f.in("eth0", udp4("203.0.113.9", "192.0.2.7", 1, 2))));
        assertEquals(3, line(f, f.in("eth1", udp4("198.51.100.77", "203.0.113.9", 1, 2))));
    }

    static int line(EvalFixture f, Decision d) {
        return f.ruleset.rules().get(d.rule()).line();
    }

    @Test
    void synproxyIsRefusedNamingTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EvalFixture("block all\npass in proto tcp to port 80 synproxy state\n"));
        assertTrue(e.getMessage().startsWith("synproxy state is not modelled") && e.getMessage().contains("@1 pass in proto tcp"),
                e.getMessage());
    }

    @Test
    void blockReturnBuildsRstAndIcmp() {
        EvalFixture f = new EvalFixture("block return all\n");
        Decision d = f.in("eth0", syn("192.0.2.9", "192.0.2.1", 4000, 22));
        assertEquals("return-rst", d.replyKind());
        Packet r = EvalFixture.decode(d.reply());
        assertTrue(r.tcpFlag(Packet.TH_RST));
        assertEquals(22, r.srcPort());
        d = f.in("eth0", udp4("192.0.2.9", "192.0.2.1", 4000, 53));
        assertEquals("return-icmp", d.replyKind());
        assertEquals(3, EvalFixture.decode(d.reply()).icmpType());
        EvalFixture drop = new EvalFixture("block drop all\n");
        assertNull(drop.in("eth0", udp4("192.0.2.9", "192.0.2.1", 4000, 53)).reply());
    }

    @Test
    void onceProbabilityUnknownRoutesFlagsIcmp() {
        EvalFixture f = new EvalFixture("block all\npass in proto udp once no state\n");
        assertTrue(f.in("eth0", udp4("192.0.2.9", "192.0.2.1", 1, 2)).pass());
        assertFalse(f.in("eth0", udp4("192.0.2.9", "192.0.2.1", 1, 2)).pass(), "a once rule matches once");
        EvalFixture p = new EvalFixture("block all\npass in proto udp probability 50% no state\n");
        int passed = 0;
        for (int i = 0; i < 2000; i++) if (p.in("eth0", udp4("192.0.2.9", "192.0.2.1", 1, 2)).pass()) passed++;
        assertTrue(passed > 850 && passed < 1150, "about half: " + passed);
        EvalFixture u = new EvalFixture("pass all no state\nblock in from no-route\nblock in from ! urpf-failed\n");
        assertTrue(u.in("eth0", udp4("192.0.2.9", "192.0.2.1", 1, 2)).pass(), "unknown route answers never match");
        EvalFixture fl = new EvalFixture("block all\npass in proto tcp flags S/SA no state\npass in inet proto icmp icmp-type echoreq no state\n");
        assertTrue(fl.in("eth0", syn("192.0.2.9", "192.0.2.1", 1, 2)).pass());
        assertFalse(fl.in("eth0", v4(6, "192.0.2.9", "192.0.2.1", tcp(1, 2, 1, 1, Packet.TH_SYN | Packet.TH_ACK, 100, NONE, NONE))).pass());
        assertTrue(fl.in("eth0", v4(1, "192.0.2.9", "192.0.2.1", icmp(8, 0, 1, 1, NONE))).pass());
        assertFalse(fl.in("eth0", v4(1, "192.0.2.9", "192.0.2.1", icmp(0, 0, 1, 1, NONE))).pass());
    }

    @Test
    void skipInterfaceAndMalformed() {
        EvalFixture f = new EvalFixture("set skip on lo\nblock all\n");
        assertEquals(Decision.Reason.SKIP, f.in("lo", udp4("127.0.0.1", "127.0.0.1", 1, 2)).reason());
        Decision d = f.in("eth0", new byte[] {0x45, 0, 0});
        assertFalse(d.pass());
        assertEquals(Decision.Reason.MALFORMED, d.reason());
    }

    static byte[] seg(String s, String d, int sp, int dp, long seq, long ack, int flags) {
        return v4(6, s, d, tcp(sp, dp, seq, ack, flags, 65535, NONE, NONE));
    }

    /** Handshake of one connection; returns the decision on the client's final ACK. */
    static Decision connect(EvalFixture f, int sport) {
        String c = "203.0.113.5", srv = "192.0.2.1";
        assertTrue(f.in("eth0", seg(c, srv, sport, 22, 1000, 0, Packet.TH_SYN)).stateCreated());
        assertTrue(f.out("eth0", seg(srv, c, 22, sport, 5000, 1001, Packet.TH_SYN | Packet.TH_ACK)).pass());
        return f.in("eth0", seg(c, srv, sport, 22, 1001, 5001, Packet.TH_ACK));
    }

    @Test
    void maxSrcConnOverloadsTheSourceIntoTheTable() {
        EvalFixture f = new EvalFixture("table <bf> persist\nblock in quick from <bf>\n"
                + "pass in proto tcp to port 22 keep state (max-src-conn 1, overload <bf> flush global)\n");
        RulesetTables.load(f.ruleset, f.tables, 0);
        Decision first = connect(f, 40001);
        assertTrue(first.pass(), "the first connection is within the limit");
        Decision second = connect(f, 40002);
        assertFalse(second.pass(), "the second established connection exceeds max-src-conn 1");
        assertEquals(Decision.Reason.SRC_LIMIT, second.reason());
        assertTrue(f.tables.matches("bf", dev.palisade.core.net.IpAddress.parse("203.0.113.5")));
        assertFalse(f.in("eth0", seg("203.0.113.5", "192.0.2.1", 40003, 22, 1, 0, Packet.TH_SYN)).pass(),
                "the overloaded source is blocked from now on");
        assertEquals(0, f.eval.states().size(), "flush global killed the source's states");
    }

    @Test
    void maxSrcStatesCapsTheStatesOfOneSource() {
        EvalFixture f = new EvalFixture("block all\npass in proto udp to port 53 keep state (max-src-states 2)\n");
        assertTrue(f.in("eth0", udp4("203.0.113.5", "192.0.2.1", 5000, 53)).stateCreated());
        assertTrue(f.in("eth0", udp4("203.0.113.5", "192.0.2.1", 5001, 53)).stateCreated());
        Decision d = f.in("eth0", udp4("203.0.113.5", "192.0.2.1", 5002, 53));
        assertFalse(d.pass(), "a third state of the same source: " + d);
        assertEquals(Decision.Reason.SRC_LIMIT, d.reason());
        assertEquals(1, f.eval.srcLimitHits());
        assertTrue(f.in("eth0", udp4("203.0.113.6", "192.0.2.1", 5002, 53)).stateCreated(), "another source has its own count");
        assertEquals(Decision.Reason.STATE, f.in("eth0", udp4("203.0.113.5", "192.0.2.1", 5000, 53)).reason(),
                "the source's existing states still pass");
        // one of its states goes: the source may make another
        f.eval.states().remove(f.in("eth0", udp4("203.0.113.5", "192.0.2.1", 5001, 53)).state());
        assertTrue(f.in("eth0", udp4("203.0.113.5", "192.0.2.1", 5003, 53)).stateCreated(), "counted down on removal");
    }

    @Test
    void maxSrcNodesCapsTheSourcesOfARuleAndANodeGoesWithItsLastState() {
        EvalFixture f = new EvalFixture("block all\npass in proto udp to port 53 keep state (max-src-nodes 2)\n");
        assertTrue(f.in("eth0", udp4("203.0.113.1", "192.0.2.1", 5000, 53)).stateCreated());
        assertTrue(f.in("eth0", udp4("203.0.113.1", "192.0.2.1", 5001, 53)).stateCreated(), "a known source is no new node");
        assertTrue(f.in("eth0", udp4("203.0.113.2", "192.0.2.1", 5000, 53)).stateCreated());
        assertEquals(2, f.eval.sourceNodes());
        Decision d = f.in("eth0", udp4("203.0.113.3", "192.0.2.1", 5000, 53));
        assertEquals(Decision.Reason.SRC_LIMIT, d.reason(), "a third source: " + d);
        // 203.0.113.2's only state expires (udp.first 60 s): its node goes with it; 203.0.113.1's states
        // are refreshed at 50 s (then udp.single 30 s, as pf)
        f.now += 50_000;
        assertEquals(Decision.Reason.STATE, f.in("eth0", udp4("203.0.113.1", "192.0.2.1", 5000, 53)).reason());
        assertEquals(Decision.Reason.STATE, f.in("eth0", udp4("203.0.113.1", "192.0.2.1", 5001, 53)).reason());
        f.now += 15_000;
        f.eval.states().purge(16);
        assertEquals(2, f.eval.states().size());
        assertEquals(1, f.eval.sourceNodes(), "the expired state took its node along");
        assertTrue(f.in("eth0", udp4("203.0.113.3", "192.0.2.1", 5000, 53)).stateCreated(), "room for a new source");
    }

    @Test
    void srcTrackTimeoutKeepsTheNodeAfterItsLastState() {
        EvalFixture f = new EvalFixture("set timeout src.track 10\nblock all\n"
                + "pass in proto udp to port 53 keep state (max-src-nodes 1)\n");
        int id = f.in("eth0", udp4("203.0.113.1", "192.0.2.1", 5000, 53)).state();
        f.eval.states().remove(id);
        assertEquals(1, f.eval.sourceNodes(), "kept src.track seconds");
        assertEquals(Decision.Reason.SRC_LIMIT, f.in("eth0", udp4("203.0.113.2", "192.0.2.1", 5000, 53)).reason());
        f.now += 10_000;
        assertTrue(f.in("eth0", udp4("203.0.113.2", "192.0.2.1", 5000, 53)).stateCreated(), "the node expired");
    }

    @Test
    void sourceNodesAreSharedByRulesUnlessSourceTrackRule() {
        String shared = "block all\npass in proto udp to port 53 keep state (max-src-states 1)\n"
                + "pass in proto udp to port 123 keep state (max-src-states 1)\n";
        EvalFixture f = new EvalFixture(shared);
        assertTrue(f.in("eth0", udp4("203.0.113.1", "192.0.2.1", 5000, 53)).stateCreated());
        assertEquals(Decision.Reason.SRC_LIMIT, f.in("eth0", udp4("203.0.113.1", "192.0.2.1", 5000, 123)).reason(),
                "without source-track rule one node per source counts the states of both rules (pf)");
        EvalFixture g = new EvalFixture(shared.replace("max-src-states 1)", "source-track rule, max-src-states 1)"));
        assertTrue(g.in("eth0", udp4("203.0.113.1", "192.0.2.1", 5000, 53)).stateCreated());
        assertTrue(g.in("eth0", udp4("203.0.113.1", "192.0.2.1", 5000, 123)).stateCreated(), "source-track rule: a node per rule");
    }

    @Test
    void aClosedConnectionNoLongerCountsForMaxSrcConn() {
        EvalFixture f = new EvalFixture("pass in proto tcp to port 22 keep state (max-src-conn 1)\npass out all\n");
        Decision first = connect(f, 40001);
        assertTrue(first.pass());
        assertEquals(Decision.Reason.SRC_LIMIT, connect(f, 40002).reason(), "two at once exceed max-src-conn 1");
        f.eval.states().remove(first.state());
        assertTrue(connect(f, 40003).pass(), "the first connection's state is gone: one connection again");
    }

    @Test
    void setTimeoutReachesTheStateTable() {
        EvalFixture f = new EvalFixture("set timeout udp.first 5\nblock all\npass out proto udp\n");
        assertEquals(5, f.eval.states().timeouts().get(dev.palisade.core.state.Timeout.UDP_FIRST));
        assertTrue(f.out("eth0", udp4("192.0.2.1", "203.0.113.5", 5000, 53)).stateCreated());
        f.now += 4_000;
        assertEquals(Decision.Reason.STATE, f.in("eth0", udp4("203.0.113.5", "192.0.2.1", 53, 5000)).reason(),
                "within udp.first 5");
        assertTrue(f.out("eth0", udp4("192.0.2.1", "203.0.113.5", 5001, 53)).stateCreated());
        f.now += 6_000;
        Decision d = f.in("eth0", udp4("203.0.113.5", "192.0.2.1", 53, 5001));
        assertFalse(d.pass(), "the state expired after udp.first 5 s (pf's default is 60 s): " + d);
        assertEquals(0, d.rule());
        EvalFixture dflt = new EvalFixture("block all\npass out proto udp\n");
        assertTrue(dflt.out("eth0", udp4("192.0.2.1", "203.0.113.5", 5001, 53)).stateCreated());
        dflt.now += 6_000;
        assertEquals(Decision.Reason.STATE, dflt.in("eth0", udp4("203.0.113.5", "192.0.2.1", 53, 5001)).reason());
    }

    @Test
    void ruleTimeoutsAndStateLimitApply() {
        EvalFixture f = new EvalFixture("set limit states 2\nset timeout { adaptive.start 0, adaptive.end 0 }\n"
                + "block all\npass out proto tcp keep state (tcp.first 7)\npass out proto udp\n");
        assertEquals(2, f.eval.states().limit());
        Decision d = f.out("eth0", syn("192.0.2.1", "203.0.113.5", 4000, 80));
        assertTrue(d.stateCreated());
        assertEquals(7, f.eval.states().entry(d.state()).expiresIn(), "the rule's tcp.first 7 over the global 120");
        d = f.out("eth0", udp4("192.0.2.1", "203.0.113.5", 5000, 53));
        assertEquals(60, f.eval.states().entry(d.state()).expiresIn(), "the other rule keeps the global udp.first");
        d = f.out("eth0", udp4("192.0.2.1", "203.0.113.5", 5001, 53));
        assertFalse(d.pass(), "third state over set limit states 2");
        assertEquals(Decision.Reason.STATE_LIMIT, d.reason());
    }

    @Test
    void stateLimitDefaultsAdaptiveScalingTo60And120Percent() {
        EvalFixture f = new EvalFixture("set limit states 1000\npass\n");
        assertEquals(600, f.eval.states().timeouts().get(dev.palisade.core.state.Timeout.ADAPTIVE_START));
        assertEquals(1200, f.eval.states().timeouts().get(dev.palisade.core.state.Timeout.ADAPTIVE_END));
    }

    @Test
    void decideAllocatesNoDecisionButAgreesWithEvaluate() {
        EvalFixture f = new EvalFixture("block return all\npass out proto udp\n");
        Packet q = EvalFixture.decode(udp4("192.0.2.1", "203.0.113.5", 5000, 53));
        assertTrue(f.eval.decide(q, dev.palisade.core.eval.PacketMeta.of("eth0", false)));
        assertTrue(f.eval.lastStateCreated());
        assertEquals(1, f.eval.lastRule());
        Packet scan = EvalFixture.decode(syn("203.0.113.5", "192.0.2.1", 4000, 23));
        assertFalse(f.eval.decide(scan, dev.palisade.core.eval.PacketMeta.of("eth0", true)));
        assertEquals(Decision.Reason.RULE, f.eval.lastReason());
        assertEquals(0, f.eval.lastRule());
        assertNotNull(f.eval.lastReply(), "block return answers a SYN with a RST");
        assertEquals(f.eval.lastDecision(), new Decision(false, Decision.Reason.RULE, 0, -1, false, null, 0, f.eval.lastReply()));
    }

    @Test
    void unsupportedFeaturesAreNamedNotSilent() {
        assertEquals(List.of(), new EvalFixture("block all\npass in proto tcp to port 22\n").eval.unsupported());
        List<String> gaps = new EvalFixture("block all\npass in on eth0 proto tcp to port 80 rdr-to 10.0.0.1\n"
                + "block in from no-route\n").eval.unsupported();
        assertEquals(2, gaps.size(), gaps.toString());
        assertTrue(gaps.get(0).startsWith("nat-to/rdr-to/af-to are not applied") && gaps.get(0).contains("@1 "), gaps.get(0));
        assertTrue(gaps.get(1).contains("no-route") && gaps.get(1).contains("@2 "), gaps.get(1));
    }
}
