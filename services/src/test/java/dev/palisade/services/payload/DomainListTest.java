package dev.palisade.services.payload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DomainListTest {

    @Test
    void suffixWildcardAndExactRules() {
        DomainList d = DomainList.of("example.com", "*.tracker.net", "=only.example.org");
        assertTrue(d.matches("example.com"));
        assertTrue(d.matches("a.b.Example.COM."));
        assertFalse(d.matches("badexample.com"), "label-wise, not string suffix");
        assertFalse(d.matches("tracker.net"), "*. excludes the name itself");
        assertTrue(d.matches("x.tracker.net"));
        assertTrue(d.matches("only.example.org"));
        assertFalse(d.matches("sub.only.example.org"));
        assertFalse(d.matches(""));
        assertFalse(d.matches("not a name"));
        assertEquals(3, d.size());
    }

    @Test
    void badRulesAreRefusedWithTheRule() {
        var e = assertThrows(IllegalArgumentException.class, () -> DomainList.of("exa mple.com"));
        assertTrue(e.getMessage().contains("\"exa mple.com\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DomainList.of("*."));
        assertThrows(IllegalArgumentException.class, () -> DomainList.of("a..b"));
        assertThrows(IllegalArgumentException.class, () -> DomainList.of("x".repeat(64) + ".com"));
    }
}
