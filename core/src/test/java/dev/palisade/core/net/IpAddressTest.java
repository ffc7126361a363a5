package dev.palisade.core.net;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IpAddressTest {

    @ParameterizedTest
    @CsvSource({
        "1.2.3.4, 1.2.3.4",
        "255.255.255.255, 255.255.255.255",
        "0.0.0.0, 0.0.0.0",
        "::, ::",
        "::1, ::1",
        "2001:DB8:0:0:0:0:0:1, 2001:db8::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:0db8:0000:0000:0001:0000:0000:0000, 2001:db8:0:0:1::",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "fe80::1, fe80::1",
        "::ffff:1.2.3.4, ::ffff:102:304",
        "1::, 1::",
        "1:0:0:2:0:0:0:3, 1:0:0:2::3",
    })
    void canonicalText(String in, String out) {
        assertEquals(out, IpAddress.parse(in).toString());
        assertEquals(IpAddress.parse(in), IpAddress.parse(out));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.", "a.b.c.d", ":::", "1:2:3:4:5:6:7:8:9",
        "1::2::3", "12345::", "1:2:3:4:5:6:7", ":1:2", "1:", "::1.2.3", "01.2.3.4x"})
    void rejects(String in) {
        assertNull(IpAddress.tryParse(in));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpAddress.parse(in));
        assertTrue(e.getMessage().contains("\"" + in + "\""), e.getMessage());
    }

    @Test
    void bytesRoundTrip() {
        for (String s : new String[] {"10.1.2.3", "2001:db8::ff00:42:8329"}) {
            IpAddress a = IpAddress.parse(s);
            assertEquals(a, IpAddress.ofBytes(a.toBytes()));
        }
    }

    @Test
    void mappedAddressesUnmap() {
        assertEquals(IpAddress.parse("1.2.3.4"), IpAddress.parse("::ffff:1.2.3.4").unmapV4());
        assertEquals(IpAddress.parse("::1"), IpAddress.parse("::1").unmapV4());
    }

    @ParameterizedTest
    @CsvSource({
        "10/8, 10.0.0.0/8",
        "10.1/8, 10.0.0.0/8",
        "192.168.37.29/25, 192.168.37.0/25",
        "192.168.37.29/32, 192.168.37.29",
        "2001:db8::1/48, 2001:db8::/48",
        "::/0, ::/0",
        "0/0, 0.0.0.0/0",
    })
    void prefixes(String in, String out) {
        assertEquals(out, IpPrefix.parse(in).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "::/129", "10/", "1.2.3.4/-1", "foo/8", "10.0.0.0/8x"})
    void badPrefixes(String in) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(in));
        assertTrue(e.getMessage().contains(in), e.getMessage());
    }

    @Test
    void containment() {
        IpPrefix p = IpPrefix.parse("2001:db8::/32");
        assertTrue(p.contains(IpAddress.parse("2001:db8:ffff::1")));
        assertFalse(p.contains(IpAddress.parse("2001:db9::1")));
        assertFalse(IpPrefix.parse("10/8").contains(IpAddress.parse("::a00:1")));
        assertEquals("10.255.255.255", IpPrefix.parse("10/8").last().toString());
    }

    @Test
    void randomAddressesPrintCanonicallyAndParseBack() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < 20_000; i++) {
            long hi = 0, lo = 0;
            for (int g = 0; g < 8; g++) {
                long v = r.nextInt(3) == 0 ? r.nextInt(1 << 16) : r.nextInt(4) == 0 ? r.nextInt(16) : 0;
                if (g < 4) hi = hi << 16 | v; else lo = lo << 16 | v;
            }
            IpAddress a = IpAddress.ofV6(hi, lo);
            String t = a.toString();
            assertEquals(a, IpAddress.parse(t), t);
            assertTrue(t.indexOf("::") == t.lastIndexOf("::") && !t.contains(":::"), t);
            assertTrue(t.matches("[0-9a-f:]+") && !t.matches(".*(^|:)0[0-9a-f].*"), "lower case, no leading zeros: " + t);
            int v4 = r.nextInt();
            assertEquals(IpAddress.ofV4(v4), IpAddress.parse(IpAddress.v4ToString(v4)));
        }
    }
}
