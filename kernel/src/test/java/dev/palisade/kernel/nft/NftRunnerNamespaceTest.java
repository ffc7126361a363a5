package dev.palisade.kernel.nft;

import dev.palisade.kernel.NetnsPair;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** nft -f with the real nft: a program loads whole or not at all, and nft's own error is reported. */
class NftRunnerNamespaceTest {

    @Test
    void loadsAtomicallyAndReportsNftsErrors() throws Exception {
        try (NetnsPair ns = NetnsPair.create()) {
            NftRunner r = new NftRunner("palrun", ns.b, 30_000);
            r.load("table inet palrun {\n chain input { type filter hook input priority 0; tcp dport 22 accept; }\n}\n");
            assertTrue(ns.exec(ns.b, "nft", "list", "table", "inet", "palrun").contains("tcp dport 22 accept"));

            String bad = "flush table inet palrun\n"
                    + "add rule inet palrun input tcp dport 80 accept\n"
                    + "add rule inet palrun input tcp dport bogus-port-name accept\n";
            NftException e = assertThrows(NftException.class, () -> r.load(bad));
            assertTrue(e.getMessage().contains("nothing was changed"), e.getMessage());
            assertTrue(e.nftOutput().contains("bogus-port-name"), e.nftOutput());
            String after = ns.exec(ns.b, "nft", "list", "table", "inet", "palrun");
            assertTrue(after.contains("tcp dport 22 accept") && !after.contains("dport 80"),
                    "the failed program changed nothing: " + after);

            r.checkOnly("add rule inet palrun input tcp dport 443 accept\n");
            assertFalse(ns.exec(ns.b, "nft", "list", "table", "inet", "palrun").contains("443"), "-c loads nothing");
            assertTrue(r.listJson().contains("\"palrun\""));

            ns.exec(ns.b, "nft", "add", "table", "inet", "other");
            assertThrows(NftException.class, () -> r.load("delete table inet other\n"));
            assertTrue(ns.exec(ns.b, "nft", "list", "tables").contains("inet other"), "another table is never touched");
        }
    }
}
