package dev.palisade.kernel.nft;

import dev.palisade.core.net.IpPrefix;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SetDiffTest {

    static SetElement e(String p) {
        return SetElement.of(IpPrefix.parse(p));
    }

    static SetElement listed(String p, long timeout, long expires) {
        return new SetElement(IpPrefix.parse(p), timeout, expires);
    }

    @Test
    void addsMissingDeletesExtraLeavesTheRest() {
        SetDiff d = SetDiff.compute(List.of(e("10.0.0.1"), e("10.0.0.2"), e("10.1.0.0/16")),
                List.of(e("10.0.0.2"), e("10.1.0.0/16"), e("10.0.0.3"), e("2001:db8::/32")), 1000);
        assertEquals(List.of(IpPrefix.parse("10.0.0.1")), d.delete());
        assertEquals(List.of(e("10.0.0.3"), e("2001:db8::/32")), d.add());
        assertEquals(2, d.unchanged());
    }

    @Test
    void samePrefixDifferentLengthIsADifferentElement() {
        SetDiff d = SetDiff.compute(List.of(e("10.0.0.0/8")), List.of(e("10.0.0.0/16")), 0);
        assertEquals(List.of(IpPrefix.parse("10.0.0.0/8")), d.delete());
        assertEquals(List.of(e("10.0.0.0/16")), d.add());
    }

    @Test
    void timeoutsWithinToleranceStayAndOthersAreReasserted() {
        List<SetElement> kernel = List.of(listed("10.0.0.1", 60_000, 30_000), listed("10.0.0.2", 60_000, 30_000),
                listed("10.0.0.3", 0, 0), listed("10.0.0.4", 60_000, 10_000));
        List<SetElement> wanted = List.of(SetElement.of(IpPrefix.parse("10.0.0.1"), 29_000),
                SetElement.of(IpPrefix.parse("10.0.0.2"), 50_000), SetElement.of(IpPrefix.parse("10.0.0.3"), 40_000),
                e("10.0.0.4"));
        SetDiff d = SetDiff.compute(kernel, wanted, 5_000);
        assertEquals(1, d.unchanged());
        assertEquals(List.of(IpPrefix.parse("10.0.0.2"), IpPrefix.parse("10.0.0.3"), IpPrefix.parse("10.0.0.4")), d.delete());
        assertEquals(3, d.add().size());
    }

    @Test
    void coveringDropsPrefixesInsideOthers() {
        List<SetElement> r = SetDiff.covering(List.of(e("10.1.2.3"), e("10.0.0.0/8"), e("10.1.0.0/16"), e("11.0.0.1"),
                e("192.0.2.0/24"), e("192.0.2.0/25"), e("192.0.3.0/24"), e("2001:db8::/32"), e("2001:db8::1"),
                e("::ffff:10.0.0.1"), e("10.0.0.0/8")));
        assertEquals(List.of("10.0.0.0/8", "11.0.0.1", "192.0.2.0/24", "192.0.3.0/24", IpPrefix.parse("::ffff:10.0.0.1").toString(), "2001:db8::/32"),
                r.stream().map(x -> x.prefix().toString()).toList());
        assertEquals(List.of(), SetDiff.covering(List.of()));
    }

    @Test
    void equalSidesGiveAnEmptyDiff() {
        List<SetElement> s = List.of(e("10.0.0.1"), e("fd00::/8"));
        assertTrue(SetDiff.compute(s, s, 0).isEmpty());
        assertTrue(SetDiff.compute(List.of(), List.of(), 0).isEmpty());
    }
}
