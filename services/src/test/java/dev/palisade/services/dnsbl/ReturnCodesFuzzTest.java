package dev.palisade.services.dnsbl;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.palisade.core.net.IpAddress;
import java.util.List;

/** Fuzzes the codes parser (an operator's input) and the classifier (a zone's answer). */
class ReturnCodesFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void parseEitherAcceptsSafelyOrSaysWhy(String spec) {
        ReturnCodes c;
        try {
            c = ReturnCodes.parse(spec);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().startsWith("dnsbl: "), e.getMessage());
            return;
        }
        // whatever was accepted can never make an error code or a non-127/8 answer a listing
        assertFalse(c.lists(IpAddress.parse("127.255.255.254").v4()));
        assertFalse(c.lists(IpAddress.parse("127.255.255.0").v4()));
        assertFalse(c.lists(IpAddress.parse("10.0.0.2").v4()));
        assertEquals(c.toString(), ReturnCodes.parse(c.toString()).toString(), "printing is parseable");
    }

    @FuzzTest(maxDuration = "10s")
    void classifyNeverListsAnError(int a, int b) {
        DnsblAnswer r = ReturnCodes.DEFAULT.classify("z", List.of(IpAddress.ofV4(a), IpAddress.ofV4(b)));
        boolean bad = (a >>> 24) != 127 || (b >>> 24) != 127 || (a & 0xffffff00) == 0x7fffff00 || (b & 0xffffff00) == 0x7fffff00;
        if (bad) assertInstanceOf(DnsblAnswer.LookupFailed.class, r);
    }
}
