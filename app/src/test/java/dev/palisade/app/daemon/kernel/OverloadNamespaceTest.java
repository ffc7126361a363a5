package dev.palisade.app.daemon.kernel;

import static dev.palisade.app.daemon.kernel.Ns.run;
import static dev.palisade.app.daemon.kernel.Ns.waitFor;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.AddressTable;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableEntry;
import dev.palisade.core.table.TableSet;
import dev.palisade.kernel.netlink.Netns;
import dev.palisade.services.store.DurableTables;
import dev.palisade.services.store.TableStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code max-src-conn-rate ... overload <t> flush global} in the kernel: a
 * source over the rate lands in the kernel's overload set, palisaded copies it
 * into the durable table (origin overload, with the rule), kills its states, and
 * the ban survives a restart of the kernel side. Root only; always cleaned up.
 */
class OverloadNamespaceTest {

    @TempDir
    Path dir;

    private Ns.Pair ns;
    private TableStore store;
    private KernelSide kernel;
    private final List<AutoCloseable> closers = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        if (kernel != null) kernel.close();
        for (AutoCloseable c : closers.reversed()) {
            try {
                c.close();
            } catch (IOException ignored) {
                // cleaning up anyway
            }
        }
        if (store != null) store.close();
        if (ns != null) ns.close();
    }

    private DurableTables open() throws IOException {
        TableSet set = new TableSet(Clock.systemUTC(), new Allowlist(List.of()));
        store = TableStore.open(dir.resolve("state"), set, Instant.now().getEpochSecond());
        DurableTables tables = new DurableTables(set, store);
        TableStore st = store;
        tables.write(s -> {
            s.setJournal(m -> {
                st.append(m);
                if (kernel != null) kernel.onMutation(m);
            });
            return null;
        });
        return tables;
    }

    private static TableEntry entry(DurableTables tables, String table, String addr) {
        return tables.read(s -> {
            AddressTable t = s.table(table);
            return t == null ? null : t.entry(IpPrefix.host(IpAddress.parse(addr)));
        });
    }

    @Test
    void sourceOverTheRateIsCopiedIntoTheDurableTableAndStaysAfterARestart() throws Exception {
        assumeTrue(KernelSide.isRoot(), "needs root (network namespaces, nftables)");
        assumeTrue(run("nft", "--version") == 0 && run("conntrack", "--version") == 0, "needs nft and conntrack");
        ns = Ns.Pair.create("ov", 217);
        ServerSocket server = Netns.call(ns.fw(), () -> new ServerSocket(8080, 50, InetAddress.getByName(ns.fwAddr())));
        closers.add(server);
        Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                try {
                    Socket s = server.accept(); // kept open: the first connection stays established
                    closers.add(s);
                } catch (IOException e) {
                    return;
                }
            }
        });
        Path conf = dir.resolve("pf.conf");
        Files.writeString(conf, "table <flood> persist\n"
                + "block in quick proto tcp from <flood> to port 8080\n"
                + "pass in proto tcp to port 8080 keep state (max-src-conn-rate 3/10, overload <flood> flush global)\n"
                + "pass out all\n");
        KernelSide.Prepared.Ok ok = assertInstanceOf(KernelSide.Prepared.Ok.class, KernelSide.prepare(conf, false));
        DurableTables tables = open();
        kernel = KernelSide.start(tables, Clock.systemUTC(), ok, ns.fw());
        assertTrue(kernel.available(), kernel.unavailableReason());

        Socket first = Netns.call(ns.peer(), () -> {
            Socket c = new Socket();
            c.connect(new InetSocketAddress(ns.fwAddr(), 8080), 2000);
            return c;
        });
        closers.add(first);
        assertTrue(conntrackHas(ns.peerAddr()), "the first connection has a state");
        int passed = 1;
        for (int i = 0; i < 6; i++) if (Ns.connects(ns.peer(), ns.fwAddr(), 8080)) passed++;
        assertTrue(passed <= 3, "the rate (burst 3) let only 3 connections through, not " + passed);

        waitFor(() -> entry(tables, "flood", ns.peerAddr()) != null, 3000, "the overloaded source in the durable <flood>");
        Origin o = entry(tables, "flood", ns.peerAddr()).origin();
        Origin.Overload ov = assertInstanceOf(Origin.Overload.class, o);
        assertTrue(ov.rule().contains("max-src-conn-rate 3/10") && ov.rule().contains("overload <flood>"), ov.rule());
        waitFor(() -> !conntrackHas(ns.peerAddr()), 3000, "flush global killed the source's states");
        waitFor(() -> !ns.nft("list", "set", "inet", "palisade", "t_flood_ov_v4").contains(ns.peerAddr()), 3000,
                "moved out of the overload set");
        assertTrue(ns.nft("list", "set", "inet", "palisade", "t_flood_v4").contains(ns.peerAddr()),
                "into the table's own set");
        assertFalse(Ns.connects(ns.peer(), ns.fwAddr(), 8080), "the overloaded source is blocked");
        first.setSoTimeout(300);
        InputStream in = first.getInputStream();
        first.getOutputStream().write('x');
        assertThrowsTimeoutOrReset(in);

        // restart: the durable table still holds it and the reloaded kernel blocks it
        kernel.close();
        kernel = null;
        store.close();
        DurableTables again = open();
        assertInstanceOf(Origin.Overload.class, entry(again, "flood", ns.peerAddr()).origin(), "durable across the restart");
        kernel = KernelSide.start(again, Clock.systemUTC(), ok, ns.fw());
        assertTrue(ns.nft("list", "set", "inet", "palisade", "t_flood_v4").contains(ns.peerAddr()),
                "in the kernel after the restart");
        assertFalse(Ns.connects(ns.peer(), ns.fwAddr(), 8080), "still blocked after the restart");
    }

    /** The established connection of the overloaded source is dead: nothing comes back. */
    private static void assertThrowsTimeoutOrReset(InputStream in) {
        try {
            int r = in.read();
            assertTrue(r < 0, "the server answered the overloaded source: " + r);
        } catch (IOException expected) {
            // timeout or reset: the state is gone and the packets dropped
        }
    }

    private boolean conntrackHas(String addr) {
        try {
            return Ns.exec("ip", "netns", "exec", ns.fw(), "conntrack", "-L", "-s", addr, "-p", "tcp", "--dport", "8080")
                    .contains("src=" + addr);
        } catch (Exception e) {
            return true;
        }
    }
}
