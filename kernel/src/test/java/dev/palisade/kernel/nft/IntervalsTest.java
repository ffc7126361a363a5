package dev.palisade.kernel.nft;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class IntervalsTest {

    static byte[] b(String a) {
        return IpAddress.parse(a).toBytes();
    }

    static List<String> range(String s, String e) {
        return NftSets.rangeToPrefixes(b(s), e == null ? null : b(e)).stream().map(IpPrefix::toString).toList();
    }

    @Test
    void rangesBecomeTheFewestPrefixes() {
        assertEquals(List.of("10.0.0.0/8"), range("10.0.0.0", "11.0.0.0"));
        assertEquals(List.of("10.0.0.1"), range("10.0.0.1", "10.0.0.2"));
        assertEquals(List.of("10.0.0.1", "10.0.0.2/31", "10.0.0.4"), range("10.0.0.1", "10.0.0.5"));
        assertEquals(List.of("240.0.0.0/4"), range("240.0.0.0", null));
        assertEquals(List.of("0.0.0.0/0"), range("0.0.0.0", null));
        assertEquals(List.of("2001:db8::/32"), range("2001:db8::", "2001:db9::"));
        assertEquals(List.of("ff00::/8"), range("ff00::", null));
        assertEquals(List.of("::/0"), range("::", null));
        assertEquals(List.of("::1", "::2/127"), range("::1", "::4"));
    }

    @Test
    void incrementCarriesAndStopsAtTheTop() {
        assertArrayEquals(b("10.0.1.0"), NftSets.increment(b("10.0.0.255")));
        assertNull(NftSets.increment(b("255.255.255.255")));
        assertArrayEquals(b("2001:db9::"), NftSets.increment(b("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
    }

    @Test
    void dumpedElementsPairIntoPrefixesInAnyOrder() {
        List<NftSets.Raw> raw = new ArrayList<>(List.of(
                new NftSets.Raw(b("0.0.0.0"), true, 0, 0),       // nft's leading end marker
                new NftSets.Raw(b("10.0.0.2"), true, 0, 0),
                new NftSets.Raw(b("10.0.0.1"), false, 0, 0),
                new NftSets.Raw(b("10.0.0.3"), true, 0, 0),
                new NftSets.Raw(b("10.0.0.2"), false, 5000, 4000),
                new NftSets.Raw(b("240.0.0.0"), false, 0, 0)));
        java.util.Collections.shuffle(raw, new Random(7));
        List<SetElement> r = NftSets.intervals(raw);
        assertEquals(List.of("10.0.0.1", "10.0.0.2", "240.0.0.0/4"), r.stream().map(e -> e.prefix().toString()).toList());
        assertEquals(5000, r.get(1).timeoutMillis());
        assertEquals(4000, r.get(1).expiresMillis());
    }
}
