package dev.palisade.services.payload.redact;

import static dev.palisade.services.payload.Pkts.payload;
import static dev.palisade.services.payload.Pkts.tcp;
import static dev.palisade.services.payload.Pkts.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.divert.DiverterConfigException;
import dev.palisade.core.divert.DiverterConfigParser;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.PacketView;
import dev.palisade.core.divert.Verdict;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactDiverterTest {

    final PrometheusRegistry registry = new PrometheusRegistry();

    RedactDiverter redact(String block) {
        DiverterConfig c = DiverterConfigParser.parseOne(block, "test.conf");
        return (RedactDiverter) new RedactProvider().create(c, DiverterContext.of(p -> {}, Map.of(PrometheusRegistry.class, registry)));
    }

    static byte[] rewritten(Verdict v) {
        return assertInstanceOf(Verdict.Rewrite.class, v).packet();
    }

    @Test
    void masksCardOverTcpV4KeepingLengthAndChecksums() {
        RedactDiverter d = redact("diverter \"redact\" port 700 { pattern card mask }");
        byte[] pkt = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 1, "card 4111 1111 1111 1111 thanks");
        byte[] out = rewritten(d.judge(pkt));
        assertEquals("card XXXXXXXXXXXXXXXXXXX thanks", payload(out));
        assertEquals(pkt.length, out.length);
        assertTrue(PacketView.decode(out).checksumsValid(), "checksums fixed");
        assertEquals(1, d.matchCount("card"));
        assertTrue(registry.scrape().stream().anyMatch(s -> s.getMetadata().getName().equals("palisade_redact_matches")));
    }

    @Test
    void masksSsnOverUdpV6() {
        RedactDiverter d = redact("diverter \"redact\" port 700 { pattern ssn mask }");
        byte[] out = rewritten(d.judge(udp("2001:db8::1", 5000, "2001:db8::2", 6000, "ssn=123-45-6789;")));
        assertEquals("ssn=XXXXXXXXXXX;", payload(out));
        assertTrue(PacketView.decode(out).checksumsValid());
    }

    @Test
    void alertPassesUnchangedAndCounts() {
        RedactDiverter d = redact("diverter \"redact\" port 700 { pattern card alert; pattern ssn alert }");
        byte[] pkt = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 1, "4111111111111111 and 123-45-6789");
        byte[] copy = pkt.clone();
        assertSame(Verdict.PASS, d.judge(pkt));
        assertArrayEquals(copy, pkt);
        assertEquals(1, d.matchCount("card"));
        assertEquals(1, d.matchCount("ssn"));
    }

    @Test
    void userRegexMasks() {
        RedactDiverter d = redact("diverter \"redact\" port 700 { regex \"secret-[0-9]+\" mask name secrets }");
        byte[] out = rewritten(d.judge(tcp("10.0.0.1", 1, "10.0.0.2", 2, 1, "a secret-42 b secret-7")));
        assertEquals("a XXXXXXXXX b XXXXXXXX", payload(out));
        assertEquals(2, d.matchCount("secrets"));
    }

    @Test
    void noMatchPassesWithoutCopy() {
        RedactDiverter d = redact("diverter \"redact\" port 700 {}");
        assertEquals(2, d.rules().size(), "default patterns card and ssn");
        assertSame(Verdict.PASS, d.judge(tcp("10.0.0.1", 1, "10.0.0.2", 2, 1, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    }

    @Test
    void matchSpanningTwoSegmentsIsCaughtAndTheSecondPartMasked() {
        RedactDiverter d = redact("diverter \"redact\" port 700 { pattern card mask; carry 64 }");
        String a = "card 4111 1111";
        String b = " 1111 1111 end";
        assertSame(Verdict.PASS, d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, 100, a)), "12 digits: no card yet");
        byte[] out = rewritten(d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, 100 + a.length(), b)));
        assertEquals("XXXXXXXXXX end", payload(out));
        assertEquals(1, d.matchCount("card"));
        // The same bytes in another flow direction are not joined.
        assertSame(Verdict.PASS, d.judge(tcp("10.0.0.2", 80, "10.0.0.1", 40000, 100 + a.length(), b)));
    }

    @Test
    void retransmittedSecondSegmentIsMaskedAgain() {
        RedactDiverter d = redact("diverter \"redact\" port 700 { pattern card mask }");
        String a = "card 4111 1111";
        String b = " 1111 1111 end";
        d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, 100, a));
        rewritten(d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, 100 + a.length(), b)));
        byte[] again = rewritten(d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, 100 + a.length(), b)));
        assertEquals("XXXXXXXXXX end", payload(again));
    }

    @Test
    void gapInSequenceIsNotJoined() {
        RedactDiverter d = redact("diverter \"redact\" port 700 { pattern card mask }");
        String a = "card 4111 1111";
        d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, 100, a));
        assertSame(Verdict.PASS, d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, 100 + a.length() + 5, " 1111 1111 end")));
    }

    @Test
    void sequenceWrapAroundStillJoins() {
        RedactDiverter d = redact("diverter \"redact\" port 700 { pattern card mask }");
        String a = "card 4111 1111";
        int seq = -5; // 0xfffffffb: the stream wraps inside the first segment
        d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, seq, a));
        byte[] out = rewritten(d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, seq + a.length(), " 1111 1111 end")));
        assertEquals("XXXXXXXXXX end", payload(out));
    }

    @Test
    void carryZeroMeansNoJoin() {
        RedactDiverter d = redact("diverter \"redact\" port 700 { pattern card mask; carry 0 }");
        d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, 100, "card 4111 1111"));
        assertSame(Verdict.PASS, d.judge(tcp("10.0.0.1", 40000, "10.0.0.2", 80, 114, " 1111 1111 end")));
        assertEquals(0, d.trackedFlows());
    }

    @Test
    void flowTableIsBoundedAndFinForgets() {
        RedactDiverter d = redact("diverter \"redact\" port 700 { pattern card mask; flows 2 }");
        for (int port = 1; port <= 5; port++) d.judge(tcp("10.0.0.1", port, "10.0.0.2", 80, 1, "hello"));
        assertEquals(2, d.trackedFlows());
        d.judge(tcp("10.0.0.1", 5, "10.0.0.2", 80, 6, 0, PacketView.FIN | PacketView.ACK, new byte[0]));
        assertEquals(1, d.trackedFlows());
    }

    @Test
    void configErrorsNameTheLineAndWhatWasExpected() {
        var e = assertThrows(DiverterConfigException.class,
                () -> redact("diverter \"redact\" port 700 {\n pattern iban mask\n}"));
        assertEquals("test.conf:2: diverter \"redact\": pattern: expected one of card, ssn, got \"iban\"", e.getMessage());
        e = assertThrows(DiverterConfigException.class, () -> redact("diverter \"redact\" port 700 { regex \"a(\" mask }"));
        assertTrue(e.getMessage().startsWith("test.conf:1: diverter \"redact\": regex: bad regex \"a(\""), e.getMessage());
        e = assertThrows(DiverterConfigException.class, () -> redact("diverter \"redact\" port 700 { pattern card hide }"));
        assertTrue(e.getMessage().endsWith("pattern: expected one of alert, mask, got \"hide\""), e.getMessage());
        e = assertThrows(DiverterConfigException.class, () -> redact("diverter \"redact\" port 700 { carry 99999 }"));
        assertTrue(e.getMessage().endsWith("carry: expected a number in 0..4096, got 99999"), e.getMessage());
        e = assertThrows(DiverterConfigException.class, () -> redact("diverter \"redact\" port 700 { colour red }"));
        assertTrue(e.getMessage().contains("unknown setting \"colour\""), e.getMessage());
    }
}
