package dev.palisade.app.daemon.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static dev.palisade.app.daemon.kernel.Ns.must;
import static dev.palisade.app.daemon.kernel.Ns.run;
import static dev.palisade.app.daemon.kernel.Ns.waitFor;

import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.TableSet;
import dev.palisade.services.store.DurableTables;
import dev.palisade.services.store.TableStore;
import dev.palisade.kernel.netlink.Netns;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
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

    private static final AtomicLong SEQ = new AtomicLong();

    @TempDir
    Path dir;

    private String fw, peer;
    private TableStore store;
    private KernelSide kernel;
    private ServerSocket server;
    private Thread acceptor;

    @AfterEach
    void tearDown() throws IOException {
        if (kernel != null) kernel.close();
        if (server != null) server.close();
        if (store != null) store.close();
        if (fw != null) run("ip", "netns", "del", fw);
        if (peer != null) run("ip", "netns", "del", peer);
    }

    @Test
    void addressesAddedAndRemovedChangeTheVerdict() throws Exception {
        assumeTrue(KernelSide.isRoot(), "needs root (network namespaces, nftables)");
        assumeTrue(run("nft", "--version") == 0, "needs nft");
        long n = (ProcessHandle.current().pid() * 13 + SEQ.incrementAndGet()) % 200 + 20;
        String tag = Long.toString(ProcessHandle.current().pid(), 36) + "i" + SEQ.get();
        fw = "ifaf" + tag;
        peer = "ifap" + tag;
        String vf = "vf" + tag, vp = "vp" + tag;
        String fwAddr = "10.215." + n + ".1", peerAddr = "10.215." + n + ".2", extra = "10.215." + n + ".3";
        must("ip", "netns", "add", fw);
        must("ip", "netns", "add", peer);
        must("ip", "-n", fw, "link", "add", vf, "type", "veth", "peer", "name", vp, "netns", peer);
        must("ip", "-n", fw, "addr", "add", fwAddr + "/24", "dev", vf);
        must("ip", "-n", peer, "addr", "add", peerAddr + "/24", "dev", vp);
        must("ip", "-n", fw, "link", "set", vf, "up");
        must("ip", "-n", fw, "link", "set", "lo", "up");
        must("ip", "-n", peer, "link", "set", vp, "up");
        // extra is the firewall's address, first on lo (not in (vf)); Linux answers ARP for it on vf
        must("ip", "-n", fw, "addr", "add", extra + "/32", "dev", "lo");

        Path conf = dir.resolve("pf.conf");
        Files.writeString(conf, "block in quick proto tcp to (" + vf + ") port 8080\n"
                + "block in quick proto udp from !(" + vf + ":network) to port 9\n"
                + "pass in all no state\npass out all no state\n");
        ServerSocket server = Netns.call(fw, () -> new ServerSocket(8080, 50, InetAddress.getByName("0.0.0.0")));
        acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                try {
                    server.accept().close();
                } catch (IOException e) {
                    return;
                }
            }
        });
        this.server = server;
        TableSet set = new TableSet(Clock.systemUTC(), new Allowlist(List.of()));
        store = TableStore.open(dir.resolve("state"), set, Instant.now().getEpochSecond());
        KernelSide.Prepared p = KernelSide.prepare(conf, false);
        KernelSide.Prepared.Ok ok = assertInstanceOf(KernelSide.Prepared.Ok.class, p, p.toString());
        kernel = KernelSide.start(new DurableTables(set, store), Clock.systemUTC(), ok, fw);
        assertTrue(kernel.available(), kernel.unavailableReason());

        String ifSet = "if_" + vf + "_v4", netSet = "if_" + vf + "_network_v4";
        String loaded = nft("list", "set", "inet", "palisade", ifSet);
        assertTrue(loaded.contains(fwAddr) && !loaded.contains(extra), "filled at load: " + loaded);
        assertTrue(nft("list", "set", "inet", "palisade", netSet).contains("10.215." + n + ".0/24"));
        assertFalse(Ns.connects(peer, fwAddr, 8080), "the interface's address is in (" + vf + "): blocked");
        waitFor(() -> Ns.connects(peer, extra, 8080), 8000, "an address on lo is not in (" + vf + "): passes");

        // moved onto the interface: the kernel set follows, the verdict becomes block
        must("ip", "-n", fw, "addr", "del", extra + "/32", "dev", "lo");
        must("ip", "-n", fw, "addr", "add", extra + "/24", "dev", vf);
        must("ip", "-n", fw, "addr", "add", "10.216." + n + ".1/24", "dev", vf);
        waitFor(() -> nftQuiet(ifSet).contains(extra), 3000, extra + " in " + ifSet);
        waitFor(() -> nftQuiet(netSet).contains("10.216." + n + ".0/24"), 3000, "the new network in " + netSet);
        assertFalse(Ns.connects(peer, extra, 8080), "after the address event " + extra + " is in (" + vf + "): blocked");

        // and back: RTM_DELADDR takes it out again, the verdict is pass
        must("ip", "-n", fw, "addr", "del", extra + "/24", "dev", vf);
        must("ip", "-n", fw, "addr", "add", extra + "/32", "dev", "lo");
        waitFor(() -> Ns.connects(peer, extra, 8080), 8000, "removed from (" + vf + "): passes again");
        assertFalse(nftQuiet(ifSet).contains(extra + ","), nftQuiet(ifSet));
        assertTrue(nftQuiet(ifSet).contains(fwAddr), "the other address stays: " + nftQuiet(ifSet));
    }

    private String nftQuiet(String setName) {
        try {
            return nft("list", "set", "inet", "palisade", setName);
        } catch (Exception e) {
            return "";
        }
    }

    private String nft(String... args) throws IOException, InterruptedException {
        String[] c = new String[args.length + 5];
        System.arraycopy(new String[]{"ip", "netns", "exec", fw, "nft"}, 0, c, 0, 5);
        System.arraycopy(args, 0, c, 5, args.length);
        return Ns.exec(c);
    }
}
