package dev.palisade.app.daemon.kernel;

import static dev.palisade.app.daemon.kernel.Ns.must;
import static dev.palisade.app.daemon.kernel.Ns.run;
import static dev.palisade.app.daemon.kernel.Ns.waitFor;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.TableSet;
import dev.palisade.kernel.netlink.Netns;
import dev.palisade.services.store.DurableTables;
import dev.palisade.services.store.TableStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code (if)} addresses follow the interface: an address added to or removed
 * from the interface in the firewall's namespace changes the kernel's verdict
 * within a deadline, without a reload (rtnetlink address events). Root only;
 * unique namespaces, always removed.
 */
class IfAddressNamespaceTest {

    @TempDir
    Path dir;

    private Ns.Pair ns;
    private TableStore store;
    private KernelSide kernel;
    private ServerSocket server;

    @AfterEach
    void tearDown() throws IOException {
        if (kernel != null) kernel.close();
        if (server != null) server.close();
        if (store != null) store.close();
        if (ns != null) ns.close();
    }

    @Test
    void addressesAddedAndRemovedChangeTheVerdict() throws Exception {
        assumeTrue(KernelSide.isRoot(), "needs root (network namespaces, nftables)");
        assumeTrue(run("nft", "--version") == 0, "needs nft");
        ns = Ns.Pair.create("ia", 215);
        String fw = ns.fw(), vf = ns.vf(), extra = ns.addr(3);
        // extra is the firewall's address, first on lo (not in (vf)); Linux answers ARP for it on vf
        must("ip", "-n", fw, "addr", "add", extra + "/32", "dev", "lo");
        server = Ns.acceptAndClose(fw, "0.0.0.0", 8080);

        Path conf = dir.resolve("pf.conf");
        Files.writeString(conf, "block in quick proto tcp to (" + vf + ") port 8080\n"
                + "block in quick proto udp from !(" + vf + ":network) to port 9\n"
                + "pass in all no state\npass out all no state\n");
        TableSet set = new TableSet(Clock.systemUTC(), new Allowlist(List.of()));
        store = TableStore.open(dir.resolve("state"), set, Instant.now().getEpochSecond());
        KernelSide.Prepared p = KernelSide.prepare(conf, false);
        KernelSide.Prepared.Ok ok = assertInstanceOf(KernelSide.Prepared.Ok.class, p, p.toString());
        kernel = KernelSide.start(new DurableTables(set, store), Clock.systemUTC(), ok, fw);
        assertTrue(kernel.available(), kernel.unavailableReason());

        String ifSet = "if_" + vf + "_v4", netSet = "if_" + vf + "_network_v4";
        String other = ns.net().replaceFirst("^10\\.215\\.", "10.216.");
        String loaded = ns.nft("list", "set", "inet", "palisade", ifSet);
        assertTrue(loaded.contains(ns.fwAddr()) && !loaded.contains(extra), "filled at load: " + loaded);
        assertTrue(ns.nft("list", "set", "inet", "palisade", netSet).contains(ns.net()));
        assertFalse(Ns.connects(ns.peer(), ns.fwAddr(), 8080), "the interface's address is in (" + vf + "): blocked");
        waitFor(() -> Ns.connects(ns.peer(), extra, 8080), 8000, "an address on lo is not in (" + vf + "): passes");

        // moved onto the interface: the kernel set follows, the verdict becomes block
        must("ip", "-n", fw, "addr", "del", extra + "/32", "dev", "lo");
        must("ip", "-n", fw, "addr", "add", extra + "/24", "dev", vf);
        must("ip", "-n", fw, "addr", "add", other.replace(".0/24", ".1/24"), "dev", vf);
        waitFor(() -> ns.nft("list", "set", "inet", "palisade", ifSet).contains(extra), 3000, extra + " in " + ifSet);
        waitFor(() -> ns.nft("list", "set", "inet", "palisade", netSet).contains(other), 3000,
                "the new network in " + netSet);
        assertFalse(Ns.connects(ns.peer(), extra, 8080), "after the address event " + extra + " is in (" + vf + "): blocked");

        // and back: RTM_DELADDR takes it out again, the verdict is pass
        must("ip", "-n", fw, "addr", "del", extra + "/24", "dev", vf);
        must("ip", "-n", fw, "addr", "add", extra + "/32", "dev", "lo");
        waitFor(() -> Ns.connects(ns.peer(), extra, 8080), 8000, "removed from (" + vf + "): passes again");
        String after = ns.nft("list", "set", "inet", "palisade", ifSet);
        assertFalse(after.matches("(?s).*\\b" + extra.replace(".", "\\.") + "\\b.*"), after);
        assertTrue(after.contains(ns.fwAddr()), "the other address stays: " + after);
    }
}
