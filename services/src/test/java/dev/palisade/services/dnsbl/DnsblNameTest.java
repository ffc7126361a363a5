package dev.palisade.services.dnsbl;

import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.net.IpAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class DnsblNameTest {

    @Test
    void rfc5782Names() {
        assertEquals("2.0.0.127.zen.example", DnsblName.of(IpAddress.parse("127.0.0.2"), "zen.example"));
        assertEquals("4.3.2.1.z", DnsblName.of(IpAddress.parse("1.2.3.4"), "z"));
        // RFC 5782 section 5: the IPv6 test point ::FFFF:7F00:2
        assertEquals("2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.z",
                DnsblName.of(IpAddress.parse("::FFFF:7F00:2"), "z"));
        assertEquals("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.z",
                DnsblName.of(IpAddress.parse("2001:db8::1"), "z"));
    }

    @Test
    void zonesAreChecked() {
        assertEquals("zen.spamhaus.org", DnsblName.checkZone("ZEN.spamhaus.org."));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DnsblName.checkZone("a..b")).getMessage().contains("\"a..b\""));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DnsblName.checkZone("a b")).getMessage().contains("' '"));
    }

    @Test
    void returnCodesClassify() {
        ReturnCodes c = ReturnCodes.DEFAULT;
        assertEquals(new DnsblAnswer.Listed("z", IpAddress.parse("127.0.0.2")), c.classify("z", List.of(IpAddress.parse("127.0.0.2"))));
        assertEquals(new DnsblAnswer.NotListed("z"), c.classify("z", List.of()));
        assertEquals(new DnsblAnswer.NotListed("z"), c.classify("z", List.of(IpAddress.parse("127.0.0.1"))));
        assertInstanceOf(DnsblAnswer.LookupFailed.class, c.classify("z", List.of(IpAddress.parse("127.255.255.254"))));
        assertInstanceOf(DnsblAnswer.LookupFailed.class, c.classify("z", List.of(IpAddress.parse("127.255.255.252"))));
        // an error anywhere in the answer spoils it, even next to a listing
        assertInstanceOf(DnsblAnswer.LookupFailed.class,
                c.classify("z", List.of(IpAddress.parse("127.0.0.2"), IpAddress.parse("192.0.2.1"))));
        ReturnCodes only4 = ReturnCodes.parse("127.0.0.4, 127.0.1.0/24");
        assertEquals(new DnsblAnswer.NotListed("z"), only4.classify("z", List.of(IpAddress.parse("127.0.0.2"))));
        assertInstanceOf(DnsblAnswer.Listed.class, only4.classify("z", List.of(IpAddress.parse("127.0.1.9"))));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReturnCodes.parse("127.255.255.0/24")).getMessage().contains("127.255.255.0/24"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReturnCodes.parse("10.0.0.2")).getMessage().contains("outside 127.0.0.0/8"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReturnCodes.parse("127.0.0.9-127.0.0.3")).getMessage().contains("ends before"));
        assertEquals("127.0.0.2-127.0.0.254", ReturnCodes.DEFAULT.toString());
    }
}
