package dev.palisade.core.eval;

import static dev.palisade.core.packet.TestPackets.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.packet.Packet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Property: over random rulesets (some rules inside inline anchors) and random packets, the skip-step walk and
 * the linear walk decide the same (verdict, rule, reason, tag, log, state).
 * Each side has its own state table, tables and a random source with the
 * same seed, so probability draws line up.
 */
class SkipVsLinearPropertyTest {
    static final String[] IFS = {"eth0", "eth1", "lo"};
    static final String[] NETS = {"10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "192.0.2.1", "2001:db8::/32", "<t>", "! <t>",
            "self", "(eth1)", "10.0.0.1 - 10.0.0.200", "! 192.0.2.0/24"};
    static final String[] PORTS = {"22", "< 1024", ">= 1024", "1000:2000", "!= 53", "53", "80 >< 90", "100 <> 200"};

    static String rule(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        int a = r.nextInt(10);
        sb.append(a < 4 ? "pass" : a < 8 ? "block" : "match");
        int d = r.nextInt(3);
        if (d == 1) sb.append(" in");
        if (d == 2) sb.append(" out");
        if (r.nextInt(4) == 0 && a < 8) sb.append(" quick");
        if (r.nextInt(3) == 0) sb.append(" on ").append(r.nextInt(4) == 0 ? "! " : "").append(r.nextBoolean() ? IFS[r.nextInt(IFS.length)] : "egress");
        int f = r.nextInt(3);
        if (f == 1) sb.append(" inet");
        if (f == 2) sb.append(" inet6");
        int p = r.nextInt(5);
        String proto = p == 1 ? "tcp" : p == 2 ? "udp" : p == 3 ? (f == 2 ? "icmp6" : f == 1 ? "icmp" : null) : null;
        if (proto != null) sb.append(" proto ").append(proto);
        boolean ports = "tcp".equals(proto) || "udp".equals(proto);
        sb.append(" from ");
        sb.append(r.nextInt(3) == 0 ? "any" : addr(r, f));
        if (ports && r.nextInt(3) == 0) sb.append(" port ").append(PORTS[r.nextInt(PORTS.length)]);
        sb.append(" to ");
        sb.append(r.nextInt(3) == 0 ? "any" : addr(r, f));
        if (ports && r.nextInt(2) == 0) sb.append(" port ").append(PORTS[r.nextInt(PORTS.length)]);
        if ("tcp".equals(proto) && r.nextInt(3) == 0) sb.append(" flags S/SA");
        if ("icmp".equals(proto) && r.nextInt(2) == 0) sb.append(" icmp-type echoreq");
        if (ports && r.nextInt(6) == 0) sb.append(" user ").append(r.nextBoolean() ? "= 0" : "!= 0");
        if (r.nextInt(6) == 0) sb.append(" tag T").append(r.nextInt(2));
        if (r.nextInt(6) == 0) sb.append(r.nextBoolean() ? " ! " : " ").append("tagged T").append(r.nextInt(2));
        if (r.nextInt(10) == 0) sb.append(" probability 50%");
        if (a < 4 && r.nextInt(12) == 0) sb.append(" once");
        if (a < 4) sb.append(r.nextInt(3) == 0 ? " keep state" : " no state");
        return sb.append('\n').toString();
    }

    /** A random rule that parses (mixed families may expand to nothing: drawn again). */
    static String validRule(SplittableRandom r) {
        for (;;) {
            String s = rule(r);
            var res = dev.palisade.core.lang.Parser.parse("t", "table <t> { 10.0.0.0/8 }\n" + s,
                    new dev.palisade.core.lang.ParseOptions(EvalFixture.HOST, java.util.Map.of(), null));
            if (res.ok()) return s;
        }
    }

    /** An inline anchor of 1-4 random rules, its rule with a random direction, quick, interface or protocol. */
    static String anchor(SplittableRandom r, int k) {
        StringBuilder sb = new StringBuilder("anchor \"a").append(k).append('"');
        int d = r.nextInt(3);
        if (d == 1) sb.append(" in");
        if (d == 2) sb.append(" out");
        if (r.nextBoolean()) sb.append(" quick");
        if (r.nextInt(3) == 0) sb.append(" on ").append(IFS[r.nextInt(IFS.length)]);
        if (r.nextInt(3) == 0) sb.append(" proto ").append(r.nextBoolean() ? "tcp" : "udp");
        sb.append(" {\n");
        for (int i = 1 + r.nextInt(4); i > 0; i--) sb.append(validRule(r));
        return sb.append("}\n").toString();
    }

    static String addr(SplittableRandom r, int f) {
        for (;;) {
            String s = NETS[r.nextInt(NETS.length)];
            boolean v6 = s.contains(":") && !s.startsWith("(");
            boolean v4 = s.matches("!? ?[0-9].*");
            if (f == 1 && v6 || f == 2 && v4) continue;
            return s;
        }
    }

    static byte[] packet(SplittableRandom r) {
        String[] v4 = {"10.0.0.1", "10.1.2.3", "192.0.2.1", "192.0.2.99", "198.51.100.1", "203.0.113.7", "10.0.0.250"};
        String[] v6 = {"2001:db8::1", "2001:db8::99", "fe80::1", "2002::1"};
        boolean six = r.nextInt(4) == 0;
        String s = six ? v6[r.nextInt(v6.length)] : v4[r.nextInt(v4.length)];
        String d = six ? v6[r.nextInt(v6.length)] : v4[r.nextInt(v4.length)];
        int[] ports = {22, 53, 80, 85, 150, 1500, 40000, 1023, 1024};
        int sp = ports[r.nextInt(ports.length)], dp = ports[r.nextInt(ports.length)];
        byte[] l4;
        int proto;
        switch (r.nextInt(3)) {
            case 0 -> {
                proto = 6;
                int[] flags = {Packet.TH_SYN, Packet.TH_SYN | Packet.TH_ACK, Packet.TH_ACK, Packet.TH_RST};
                l4 = tcp(sp, dp, r.nextInt(1 << 30), 0, flags[r.nextInt(flags.length)], 1000, new byte[0], new byte[0]);
            }
            case 1 -> {
                proto = 17;
                l4 = udp(sp, dp, new byte[2]);
            }
            default -> {
                proto = six ? 58 : 1;
                l4 = icmp(six ? 128 : 8, 0, 1, 1, new byte[0]);
            }
        }
        return six ? v6(proto, s, d, l4) : v4(proto, s, d, l4);
    }

    @Test
    void skipStepsAgreeWithTheLinearWalk() {
        SplittableRandom r = new SplittableRandom(20261122);
        int cases = 0;
        for (int set = 0; set < 300; set++) {
            StringBuilder conf = new StringBuilder("table <t> { 10.0.0.0/8 !10.1.0.0/16 2001:db8::/48 }\n");
            int n = 1 + r.nextInt(25);
            for (int i = 0; i < n; i++) {
                if (r.nextInt(6) == 0) conf.append(anchor(r, i));
                else conf.append(validRule(r));
            }
            long seed = r.nextLong();
            EvalFixture a = new EvalFixture(conf.toString(), new SplittableRandom(seed));
            EvalFixture b = new EvalFixture(conf.toString(), new SplittableRandom(seed));
            RulesetTables.load(a.ruleset, a.tables, 0);
            RulesetTables.load(b.ruleset, b.tables, 0);
            for (int k = 0; k < 60; k++) {
                byte[] pkt = packet(r);
                String ifn = IFS[r.nextInt(IFS.length)];
                boolean in = r.nextBoolean();
                long uid = r.nextInt(3) == 0 ? 0 : PacketMeta.UNKNOWN;
                PacketMeta m = new PacketMeta(ifn, in, uid, uid);
                Decision x = a.eval.evaluate(EvalFixture.decode(pkt), m);
                Decision y = b.eval.evaluateLinear(EvalFixture.decode(pkt), m);
                String ctx = conf + "packet " + EvalFixture.decode(pkt) + " on " + ifn + (in ? " in" : " out");
                assertEquals(y.pass(), x.pass(), ctx);
                assertEquals(y.rule(), x.rule(), ctx);
                assertEquals(y.reason(), x.reason(), ctx);
                assertEquals(y.tag(), x.tag(), ctx);
                assertEquals(y.log(), x.log(), ctx);
                assertEquals(y.stateCreated(), x.stateCreated(), ctx);
                cases++;
            }
            for (int i = 0; i < a.eval.ruleCount(); i++) {
                assertTrue(a.eval.counters(i).evaluations() <= b.eval.counters(i).evaluations(), "skip steps never evaluate more");
                assertEquals(b.eval.counters(i).packets(), a.eval.counters(i).packets());
            }
        }
        assertEquals(300 * 60, cases);
    }
}
