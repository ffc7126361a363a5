package dev.palisade.kernel.compile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rule counters summed by the FILE:LINE comments of the filter chains, merged ranges spread, nat left out. */
class RuleCountersTest {

    private static final String LISTING = """
            table inet palisade {
            \tchain filter_in {
            \t\tct direction original ct mark & 0x80000000 == 0x80000000 return comment "state"
            \t\tip saddr @t_bad_v4 counter packets 5 bytes 300 drop comment "/etc/pf.conf:2"
            \t\ttcp dport { 22, 80 } ct mark set ct mark | 0x80000000 counter packets 7 bytes 420 return comment "/etc/pf.conf:4-5"
            \t\tip6 saddr @t_bad_v6 counter packets 1 bytes 80 drop comment "/etc/pf.conf:2"
            \t\treturn comment "default pass"
            \t}
            \tchain filter_out {
            \t\tudp dport 53 counter packets 2 bytes 100 accept comment "/etc/pf.conf:6,/etc/inc.conf:1"
            \t}
            \tchain nat_prerouting {
            \t\ttcp dport 80 counter packets 9 bytes 900 dnat ip to 10.0.0.5 comment "/etc/pf.conf:4"
            \t}
            }
            """;

    @Test
    void sumsByLineSpreadsMergedRangesAndSkipsNat() {
        Map<String, long[]> c = RuleCounters.parse(LISTING);
        assertArrayEquals(new long[]{6, 380}, c.get("/etc/pf.conf:2"), "both families of line 2");
        assertArrayEquals(new long[]{7, 420}, c.get("/etc/pf.conf:4"), "the merged line's figure, not the nat line's");
        assertArrayEquals(new long[]{7, 420}, c.get("/etc/pf.conf:5"));
        assertArrayEquals(new long[]{2, 100}, c.get("/etc/pf.conf:6"));
        assertArrayEquals(new long[]{2, 100}, c.get("/etc/inc.conf:1"));
        assertNull(c.get("/etc/pf.conf:3"));
        assertEquals(5, c.size());
    }

    @Test
    void countedPutsTheCounterBeforeTheVerdict() {
        assertEquals("ct count over 50 counter drop", NftCompiler.counted("ct count over 50 drop"));
        assertEquals("ct mark set ct mark | 0x80000000 counter return",
                NftCompiler.counted("ct mark set ct mark | 0x80000000 return"));
        assertEquals("counter reject with tcp reset", NftCompiler.counted("reject with tcp reset"));
        assertEquals("log prefix \"pf 3 block in: \" group 0 counter drop",
                NftCompiler.counted("log prefix \"pf 3 block in: \" group 0 drop"));
        assertEquals("ip ttl set 5 counter", NftCompiler.counted("ip ttl set 5"), "a match rule: no verdict");
    }
}
