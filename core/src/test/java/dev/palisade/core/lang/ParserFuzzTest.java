package dev.palisade.core.lang;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Jazzer targets. Run as regression tests by default (seeds under
 * src/test/resources/.../ParserFuzzTestInputs); fuzz with {@code JAZZER_FUZZ=1}.
 */
class ParserFuzzTest {
    static final HostProfile HOST = HostProfile.parse("""
            interface lo0 127.0.0.1/8 ::1/128
            interface em0 192.0.2.1/24 2001:db8::1/64
            ifgroup egress em0
            user root 0
            group wheel 0
            host h.example 192.0.2.7
            """, "fuzz");

    /** Bytes to the parser: it must return (diagnostics or a ruleset); nothing may escape. */
    @FuzzTest(maxDuration = "20s")
    void plain(byte[] data) {
        ParseResult r = Parser.parse("stdin", new String(data, StandardCharsets.ISO_8859_1), ParseOptions.of(HOST));
        if (r.ok()) {
            String printed = Printer.print(r.ruleset(), 1);
            assertTrue(printed.length() >= 0);
        }
    }

    private static final String[] ADDRS = {"any", "10.0.0.1", "10.1.0.0/16", "2001:db8::/32", "<t>", "(em0)",
            "(em0:network)", "em0", "lo0:0", "no-route", "urpf-failed", "route \"r\"", "192.0.2.1 - 192.0.2.9", "self",
            "h.example", "{ 10.0.0.1 ! 10.0.0.2 }", "(lo0)/24"};
    private static final String[] PORTS = {"", " port 22", " port != 80", " port 1000:2000", " port 10 >< 20",
            " port { 80 443 }", " port < 1024"};
    private static final String[] OPTS = {"", " flags S/SA", " flags any", " no state", " keep state (max 100)",
            " modulate state", " label \"$nr-$srcaddr-$dstport\"", " tag T", " tagged T", " rtable 2", " once",
            " probability 25%", " set prio 3", " set tos lowdelay", " scrub (no-df max-mss 1400)", " allow-opts",
            " user root", " group wheel", " keep state (max-src-conn 5, max-src-conn-rate 3/10, overload <b> flush)",
            " divert-packet port 700", " tos 0x10", " fragment", " nat-to 192.0.2.9", " nat-to { 192.0.2.9 192.0.2.10 }",
            " nat-to (em0) port 1024:65535 static-port", " rdr-to 10.0.0.5 port 8080", " rdr-to 2001:db8::5",
            " route-to (em0)", " reply-to 192.0.2.1", " dup-to { 10.0.0.1 10.0.0.2 } random sticky-address",
            " af-to inet from 192.0.2.1", " icmp-type echoreq code 0", " icmp6-type { echoreq unreach }",
            " max-pkt-rate 10/2", " set delay 5", " keep state (max 50, tcp.established 60, sloppy)",
            " synproxy state", " received-on em0", " ! tagged X", " prio 3", " label \"$if $proto $srcport\"",
            " keep state (source-track, max-src-states 4)", " divert-to 127.0.0.1 port 8025", " divert-reply",
            " log (all, user)", " queue q1", " set queue (q1, q2)"};

    /** Generate a rule, parse, print, parse the print: same rules, same text. */
    @FuzzTest(maxDuration = "20s")
    void structured(FuzzedDataProvider d) {
        StringBuilder sb = new StringBuilder();
        sb.append(d.pickValue(new String[] {"pass", "block", "block return", "block drop", "match",
                "block return-icmp(net-unr, 2)", "block return-rst(ttl 9)", "block return-icmp6(port-unr)"}));
        sb.append(d.pickValue(new String[] {"", " in", " out"}));
        sb.append(d.pickValue(new String[] {"", " log", " quick", " log quick"}));
        sb.append(d.pickValue(new String[] {"", " on em0", " on ! lo0", " on { em0 lo0 }", " on egress"}));
        sb.append(d.pickValue(new String[] {"", " inet", " inet6"}));
        sb.append(d.pickValue(new String[] {"", " proto tcp", " proto udp", " proto { tcp udp }", " proto icmp"}));
        sb.append(" from ").append(d.pickValue(ADDRS)).append(d.pickValue(PORTS));
        sb.append(" to ").append(d.pickValue(ADDRS)).append(d.pickValue(PORTS));
        int n = d.consumeInt(0, 4);
        for (int i = 0; i < n; i++) sb.append(d.pickValue(OPTS));
        sb.append('\n');
        ParseResult r = Parser.parse("stdin", sb, ParseOptions.of(HOST));
        if (!r.ok()) return;
        String once = Printer.print(r.ruleset(), 1);
        ParseResult again = Parser.parse("stdin", once, ParseOptions.of(HOST));
        assertTrue(again.ok(), () -> sb + " printed as " + once + " does not parse: " + again.errors());
        assertEquals(once, Printer.print(again.ruleset(), 1), sb::toString);
        assertEquals(GoldenTest.printed(r), GoldenTest.printed(again), sb::toString);
    }
}
