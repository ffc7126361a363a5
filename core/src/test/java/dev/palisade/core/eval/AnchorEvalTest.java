package dev.palisade.core.eval;

import static dev.palisade.core.eval.EvaluatorTest.syn;
import static dev.palisade.core.eval.EvaluatorTest.udp4;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Golden verdicts for anchors: pf_match_rule and pf_step_into_anchor's semantics. */
class AnchorEvalTest {
    static final byte[] SSH = syn("192.0.2.9", "192.0.2.1", 4000, 22);
    static final byte[] DNS = udp4("192.0.2.9", "192.0.2.1", 4000, 53);

    static EvalFixture fixture(String conf, Map<String, String> files) {
        return new EvalFixture(conf, new SplittableRandom(1), files);
    }

    static String ref(EvalFixture f, Decision d) {
        return f.eval.ruleRef(d.rule(), f.eval.lastAnchor());
    }

    @Test
    void anInlineAnchorIsEnteredWhenItsRuleMatchesAndTheLastMatchCrossesItsBounds() {
        EvalFixture f = fixture("""
                block all
                anchor "ssh" in proto tcp {
                  pass in proto tcp to port 22
                }
                block in proto udp to port 9
                """, Map.of());
        Decision d = f.in("eth0", SSH);
        assertTrue(d.pass(), "the anchor's pass is the last match");
        assertEquals("@1.ssh.0", ref(f, d));
        assertEquals("ssh", f.eval.anchorPath(d.rule()));
        assertTrue(d.stateCreated());
        assertFalse(f.in("eth0", DNS).pass(), "the anchor rule (proto tcp) does not match UDP: block all");
        assertEquals(0, f.in("eth0", DNS).rule());
        // the state's packets name the rule with its anchor, and count on the anchor rule too (pf's a)
        Decision reply = f.out("eth0", EvaluatorTest.seg("192.0.2.1", "192.0.2.9", 22, 4000, 5000, 1001, 0x12));
        assertEquals(Decision.Reason.STATE, reply.reason());
        assertEquals("@1.ssh.0", ref(f, reply));
        assertEquals(2, f.eval.counters(1).packets(), "anchor rule: the SYN and the state's reply");
        assertEquals(2, f.eval.counters(d.rule()).packets());
        assertEquals(3, f.eval.counters(1).evaluations());
    }

    @Test
    void aLaterRuleOfTheMainRulesetStillWins() {
        EvalFixture f = fixture("block all\nanchor \"a\" {\n pass all no state\n}\nblock in proto udp\n", Map.of());
        assertTrue(f.in("eth0", SSH).pass());
        Decision d = f.in("eth0", DNS);
        assertFalse(d.pass());
        assertEquals("@2", ref(f, d));
    }

    @Test
    void quickInsideAnAnchorEndsTheWholeEvaluation() {
        EvalFixture f = fixture("anchor \"a\" {\n pass quick proto tcp no state\n}\nblock all\n", Map.of());
        assertTrue(f.in("eth0", SSH).pass());
        assertFalse(f.in("eth0", DNS).pass());
    }

    @Test
    void aQuickAnchorStopsOnlyWhenAPassOrBlockRuleInsideMatched() {
        EvalFixture q = fixture("anchor \"a\" quick {\n pass proto tcp no state\n match proto udp tag U\n}\nblock all\n", Map.of());
        assertTrue(q.in("eth0", SSH).pass(), "a rule inside matched: the quick anchor ends evaluation");
        Decision d = q.in("eth0", DNS);
        assertFalse(d.pass(), "only a match rule matched inside: evaluation goes on to block all");
        assertEquals("U", d.tag(), "the match rule's tag stays");
        EvalFixture notQuick = fixture("anchor \"a\" {\n pass proto tcp no state\n}\nblock all\n", Map.of());
        assertFalse(notQuick.in("eth0", SSH).pass(), "without quick the later block all wins");
    }

    @Test
    void loadedAnchorsWildcardsAndUndefinedAnchors() {
        String main = """
                block all
                anchor "nothing"
                anchor "ext/*"
                load anchor "ext/b" from "b.conf"
                load anchor "ext/a" from "a.conf"
                """;
        Map<String, String> files = Map.of("a.conf", "pass in proto udp to port 53 no state\npass in proto tcp no state\n",
                "b.conf", "block in proto udp to port 53\n");
        EvalFixture f = fixture(main, files);
        Decision d = f.in("eth0", DNS);
        assertFalse(d.pass(), "children in name order: ext/b's block comes after ext/a's pass");
        assertEquals("@2.ext/b.0", ref(f, d));
        d = f.in("eth0", SSH);
        assertTrue(d.pass());
        assertEquals("@2.ext/a.1", ref(f, d));
        EvalFixture quick = fixture(main, Map.of("a.conf", "pass in quick proto udp to port 53 no state\n", "b.conf",
                "block in proto udp to port 53\n"));
        assertTrue(quick.in("eth0", DNS).pass(), "a quick rule in the first child stops before the second");
        assertEquals("@0", ref(f, f.in("eth0", udp4("192.0.2.9", "192.0.2.1", 4000, 54))), "an undefined anchor is empty");
    }

    @Test
    void aBareWildcardStepsIntoEveryAnchorOfItsRuleset() {
        EvalFixture f = fixture("""
                block all
                anchor "*"
                load anchor "b" from "b.conf"
                load anchor "a" from "a.conf"
                load anchor "a/deep" from "deep.conf"
                """, Map.of("a.conf", "pass proto udp no state\n", "b.conf", "pass proto tcp no state\n",
                "deep.conf", "block all\n"));
        assertEquals("@1.a.0", ref(f, f.in("eth0", DNS)), "a's rule; a/deep is a grandchild, not entered");
        assertEquals("@1.b.0", ref(f, f.in("eth0", SSH)));
    }

    @Test
    void namesResolveRelativeToTheRulesetHoldingTheAnchorRule() {
        EvalFixture f = fixture("""
                block all
                anchor "outer" {
                  anchor "inner"
                  anchor "/top"
                }
                load anchor "outer/inner" from "inner.conf"
                load anchor "top" from "top.conf"
                """, Map.of("inner.conf", "pass proto tcp no state\n", "top.conf", "pass proto udp no state\n"));
        assertEquals("@0.outer/inner.0", ref(f, f.in("eth0", SSH)));
        assertEquals("@1.top.0", ref(f, f.in("eth0", DNS)));
        assertEquals("a/c", AnchorLayout.resolve("a/b", "../c"));
        assertEquals("c", AnchorLayout.resolve("a/b", "/c"));
        assertThrows(IllegalArgumentException.class, () -> AnchorLayout.resolve("a", "../../x"));
    }

    @Test
    void anAnchorThatCallsItselfIsRefusedWithItsNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fixture("anchor \"x\" {\n anchor \"/x\"\n}\n", Map.of()));
        assertTrue(e.getMessage().contains("anchor loop: \"x\" -> \"x\""), e.getMessage());
    }

    @Test
    void rulesVerboseShowsAnAnchorsRulesUnderItsRule() {
        EvalFixture f = fixture("block all\nanchor \"a\" in {\n pass in proto tcp no state label L\n}\n", Map.of());
        f.in("eth0", SSH);
        String s = f.eval.showRulesVerbose();
        assertTrue(s.contains("anchor \"a\" in all\n  [ Evaluations: 1        Packets: 1 "), s);
        assertTrue(s.contains("  anchor \"a\" {\n    pass in proto tcp all no state label \"L\"\n      [ Evaluations: 1 "), s);
        assertTrue(s.endsWith("  }\n"), s);
        assertEquals("L 1 1 40 1 40 0 0 0\n", f.eval.showLabels());
        assertTrue(f.eval.unsupported().isEmpty(), "anchors are modelled: " + f.eval.unsupported());
    }
}
