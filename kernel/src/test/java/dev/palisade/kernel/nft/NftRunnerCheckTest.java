package dev.palisade.kernel.nft;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NftRunnerCheckTest {

    final NftRunner r = new NftRunner("palisade");

    @Test
    void programsOnOurTableAreAccepted() {
        assertDoesNotThrow(() -> r.check("""
                # generated
                table inet palisade {
                  set bastards { type ipv4_addr; flags interval; }
                  chain input { type filter hook input priority 0; ip saddr @bastards drop; }
                }
                delete table inet palisade
                add table inet palisade; flush table inet palisade
                add element inet palisade bastards { 10.0.0.1, 10.1.0.0/16 }
                add rule inet palisade input tcp dport 22 accept comment "table inet other"
                add ct helper inet palisade ftp { type "ftp" protocol tcp; }
                """));
    }

    @Test
    void anythingElseIsRefusedWithItsLine() {
        NftException e = assertThrows(NftException.class, () -> r.check("table inet palisade {\n}\nflush ruleset\n"));
        assertTrue(e.getMessage().startsWith("program line 3: 'flush ruleset' reaches beyond table inet palisade"), e.getMessage());
        e = assertThrows(NftException.class, () -> r.check("add rule ip filter INPUT drop\n"));
        assertTrue(e.getMessage().contains("line 1: expected family 'inet'"), e.getMessage());
        e = assertThrows(NftException.class, () -> r.check("table inet other {\n}\n"));
        assertTrue(e.getMessage().contains("table 'other' is not Palisade's table 'palisade'"), e.getMessage());
        e = assertThrows(NftException.class, () -> r.check("table palisade { }\n"));
        assertTrue(e.getMessage().contains("a missing family means ip"), e.getMessage());
        e = assertThrows(NftException.class, () -> r.check("table inet palisade {\n"));
        assertTrue(e.getMessage().contains("unbalanced '{'"), e.getMessage());
        e = assertThrows(NftException.class, () -> r.check("include \"/etc/x\"\n"));
        assertTrue(e.getMessage().contains("include"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NftRunner("bad name"));
    }
}
