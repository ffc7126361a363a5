package dev.palisade.app.daemon.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static dev.palisade.app.daemon.kernel.Ns.must;
import static dev.palisade.app.daemon.kernel.Ns.run;
import static dev.palisade.app.daemon.kernel.Ns.waitFor;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableSet;
import dev.palisade.kernel.netlink.Netns;
import dev.palisade.services.store.DurableTables;
import dev.palisade.services.store.TableStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel side in-process, against a firewall namespace: automatic bans
 * kill established connections, kernel timeouts end bans, negated entries
 * punch holes. Root only (skipped otherwise); unique names; always cleaned up.
 */
class KernelSideTest {

    private static final AtomicLong SEQ = new AtomicLong();

    @TempDir
    Path dir;

    private String fw, peer, fwAddr, peerAddr, net;
    private final List<AutoCloseable> closers = new ArrayList<>();
    private DurableTables tables;
    private KernelSide kernel;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (network namespaces, nftables)");
        assumeTrue(run("nft", "--version") == 0, "needs nft");
        long n = (ProcessHandle.current().pid() * 17 + SEQ.incrementAndGet()) % 200 + 20;
        String tag = Long.toString(ProcessHandle.current().pid(), 36) + "s" + SEQ.get();
        fw = "iksf" + tag;
        peer = "iksp" + tag;
        net = "10.214." + n + ".0/24";
        fwAddr = "10.214." + n + ".1";
        peerAddr = "10.214." + n + ".2";
        must("ip", "netns", "add", fw);
        must("ip", "netns", "add", peer);
        must("ip", "-n", fw, "link", "add", "vf" + tag, "type", "veth", "peer", "name", "vp" + tag, "netns", peer);
        must("ip", "-n", fw, "addr", "add", fwAddr + "/24", "dev", "vf" + tag);
        must("ip", "-n", peer, "addr", "add", peerAddr + "/24", "dev", "vp" + tag);
        must("ip", "-n", fw, "link", "set", "vf" + tag, "up");
        must("ip", "-n", peer, "link", "set", "vp" + tag, "up");
        Path conf = dir.resolve("pf.conf");
        Files.writeString(conf, "table <bad> persist\n"
                + "table <nets> persist { " + net + " !" + peerAddr + " }\n"
                + "block in quick from <bad>\n"
                + "block in quick from <nets>\n"
                + "pass in all\npass out all\n");
        TableSet set = new TableSet(Clock.systemUTC(), new Allowlist(List.of()));
        TableStore store = TableStore.open(dir.resolve("state"), set, Instant.now().getEpochSecond());
        tables = new DurableTables(set, store);
        closers.add(store::close);
        KernelSide.Prepared p = KernelSide.prepare(conf, false);
        KernelSide.Prepared.Ok ok = assertInstanceOf(KernelSide.Prepared.Ok.class, p, p.toString());
        kernel = KernelSide.start(tables, Clock.systemUTC(), ok, fw);
        assertTrue(kernel.available(), "kernel side available as root: " + kernel.unavailableReason());
        tables.write(s -> {
            s.setJournal(m -> {
                store.append(m);
                kernel.onMutation(m);
            });
            return null;
        });
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closers.reversed()) {
            try {
                c.close();
            } catch (Exception ignored) {
                // cleaning up anyway
            }
        }
        if (kernel != null) kernel.close();
        if (fw != null) run("ip", "netns", "del", fw);
        if (peer != null) run("ip", "netns", "del", peer);
    }

    @Test
    void automaticBanKillsTheEstablishedConnection() throws Exception {
        ServerSocket server = Netns.call(fw, () -> new ServerSocket(8080, 50, InetAddress.getByName(fwAddr)));
        closers.add(server);
        Socket client = Netns.call(peer, () -> {
            Socket c = new Socket();
            c.connect(new InetSocketAddress(fwAddr, 8080), 2000);
            return c;
        });
        closers.add(client);
        server.setSoTimeout(2000);
        Socket accepted = server.accept();
        closers.add(accepted);
        accepted.setSoTimeout(300);
        OutputStream co = client.getOutputStream();
        InputStream ai = accepted.getInputStream();
        co.write('a');
        co.flush();
        assertEquals('a', ai.read());

        long t0 = System.nanoTime();
        tables.add("bad", IpPrefix.host(IpAddress.parse(peerAddr)), null, new Origin.Trap("test"));
        assertTrue(kernel.awaitSynced(2000), "the ban reached the kernel");
        long us = (System.nanoTime() - t0) / 1000;
        waitFor(() -> !conntrackHas(peerAddr), 3000, "the automatic ban killed the peer's states");
        co.write('b');
        co.flush();
        try {
            int r = ai.read();
            fail("data from the banned peer arrived: " + r);
        } catch (SocketTimeoutException expected) {
            // dropped
        }
        assertFalse(connects(), "a new connection from the banned peer fails");
        System.out.println("automatic ban: durable and in the kernel after " + us + " us");
    }

    /**
     * The set add runs before the fsync (enforcement first): a crash between the two leaves a kernel
     * element that the durable table does not hold. The next start's reconcile removes it, and keeps
     * what the table holds. (Written by the tripwire-latency engineer on a parallel branch.)
     */
    @Test
    void aKernelElementTheTablesDoNotHoldIsRemovedAtTheNextStart() throws Exception {
        String kept = net.replace(".0/24", ".9");
        String orphan = net.replace(".0/24", ".77");
        tables.add("bad", IpPrefix.host(IpAddress.parse(kept)), null, new Origin.Trap("test"));
        assertTrue(kernel.awaitSynced(2000));
        must("ip", "netns", "exec", fw, "nft", "add", "element", "inet", "palisade", "t_bad_v4", "{ " + orphan + " }");
        assertTrue(nft("list", "set", "inet", "palisade", "t_bad_v4").contains(orphan), "the crash's leftover is in the kernel");
        kernel.close();
        KernelSide.Prepared.Ok ok = assertInstanceOf(KernelSide.Prepared.Ok.class, KernelSide.prepare(dir.resolve("pf.conf"), false));
        kernel = KernelSide.start(tables, Clock.systemUTC(), ok, fw);
        String bad = nft("list", "set", "inet", "palisade", "t_bad_v4");
        assertFalse(bad.contains(orphan), "the element without a durable entry is gone: " + bad);
        assertTrue(bad.contains(kept), "the durable ban stays: " + bad);
    }

    @Test
    void kernelTimeoutEndsTheBanAndNegatedEntriesPunchHoles() throws Exception {
        ServerSocket server = Netns.call(fw, () -> new ServerSocket(8080, 50, InetAddress.getByName(fwAddr)));
        closers.add(server);
        Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                try {
                    server.accept().close();
                } catch (IOException e) {
                    return;
                }
            }
        });
        // <nets> holds the peer's /24 but !peer: the kernel set must leave a hole for it
        String nets = nft("list", "set", "inet", "palisade", "t_nets_v4");
        assertFalse(nets.contains(peerAddr + ","), nets);
        assertTrue(connects(), "the negated entry lets the peer through: " + nets);
        // dropping the negation at run time closes the hole
        tables.delete("nets", IpPrefix.host(IpAddress.parse(peerAddr)));
        assertTrue(kernel.awaitSynced(2000));
        assertFalse(connects(), "without its negated entry the peer falls in <nets>");
        tables.write(s -> s.run(new dev.palisade.core.table.TableCommand("nets", dev.palisade.core.table.TableCommand.Op.ADD,
                List.of("!" + peerAddr), false, true, 0, new Origin.Manual("test"))));
        assertTrue(kernel.awaitSynced(2000));
        assertTrue(connects(), "the negated entry again punches the hole");

        // a ban with a lifetime: the kernel element has a timeout and the ban ends by itself
        tables.add("bad", IpPrefix.host(IpAddress.parse(peerAddr)), Instant.now().plusSeconds(2), new Origin.Trap("test"));
        assertTrue(kernel.awaitSynced(2000));
        String bad = nft("list", "set", "inet", "palisade", "t_bad_v4");
        assertTrue(bad.contains(peerAddr) && bad.contains("expires"), bad);
        assertFalse(connects(), "banned");
        waitFor(() -> {
            try {
                return connects();
            } catch (Exception e) {
                return false;
            }
        }, 6000, "the ban ends with its lifetime");
        server.close();
        acceptor.join(2000);
    }

    @Test
    void daemonExpiryRemovesBansFromTablesWithoutKernelTimeouts() throws Exception {
        // a negated entry puts <bad> in effective-interval mode: no kernel timeouts, the daemon's sweep expires
        tables.write(s -> s.run(new dev.palisade.core.table.TableCommand("bad", dev.palisade.core.table.TableCommand.Op.ADD,
                List.of("!10.99.0.1"), false, true, 0, new Origin.Manual("test"))));
        long until = Instant.now().getEpochSecond() + 1;
        tables.add("bad", IpPrefix.host(IpAddress.parse(peerAddr)), Instant.ofEpochSecond(until), new Origin.Trap("test"));
        assertTrue(kernel.awaitSynced(2000));
        String bad = nft("list", "set", "inet", "palisade", "t_bad_v4");
        assertTrue(bad.contains(peerAddr) && !bad.contains("expires"), "in the set without a kernel timeout: " + bad);
        waitFor(() -> Instant.now().getEpochSecond() > until, 3000, "the lifetime to pass");
        List<TableSet.Expired> gone = tables.write(s -> s.expire(Instant.now().getEpochSecond()));
        assertEquals(1, gone.size(), gone.toString());
        kernel.onExpired(gone);
        assertTrue(kernel.awaitSynced(2000));
        assertFalse(nft("list", "set", "inet", "palisade", "t_bad_v4").contains(peerAddr), "expired out of the kernel set");
    }

    /**
     * Adds and host deletes take the incremental path (the mirror diff, not
     * the table's recompute); a delete of a wider prefix recomputes, so the
     * entries it covered get into the set themselves. The kernel set must
     * match the table at every step.
     */
    @Test
    void incrementalPushKeepsTheSetEqualToTheTable() throws Exception {
        acceptAndClose();
        assertTrue(connects(), "the peer connects before any ban");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 2000; i++) many.add("10.50." + (i / 100) + "." + (2 * (i % 100) + 1)); // none adjacent: nft lists each
        tables.write(s -> s.run(new dev.palisade.core.table.TableCommand("bad", dev.palisade.core.table.TableCommand.Op.ADD,
                many, false, true, 0, new Origin.Manual("test"))));
        assertTrue(kernel.awaitSynced(5000));
        assertTrue(nft("list", "set", "inet", "palisade", "t_bad_v4").contains("10.50.19.199"), "bulk add in the set");

        long[] before = kernel.pushCounts();
        tables.add("bad", IpPrefix.host(IpAddress.parse(peerAddr)), null, new Origin.Trap("test"));
        assertTrue(kernel.awaitSynced(2000));
        assertTrue(nft("list", "set", "inet", "palisade", "t_bad_v4").contains(peerAddr), "the ban is in the set");
        long[] after = kernel.pushCounts();
        assertEquals(before[0], after[0], "a ban recomputes nothing");
        assertTrue(after[1] > before[1], "a ban is pushed incrementally");
        assertFalse(connects(), "the banned peer cannot connect");

        tables.add("bad", IpPrefix.parse("10.78.0.0/16"), null, new Origin.Manual("test"));
        tables.add("bad", IpPrefix.host(IpAddress.parse("10.78.1.1")), null, new Origin.Trap("test")); // covered by the /16
        assertTrue(kernel.awaitSynced(2000));
        String set = nft("list", "set", "inet", "palisade", "t_bad_v4");
        assertTrue(set.contains("10.78.0.0/16"), set);

        before = kernel.pushCounts();
        tables.delete("bad", IpPrefix.parse("10.78.0.0/16"));
        assertTrue(kernel.awaitSynced(2000));
        assertTrue(kernel.pushCounts()[0] > before[0], "deleting a wider prefix recomputes the table");
        set = nft("list", "set", "inet", "palisade", "t_bad_v4");
        assertFalse(set.contains("10.78.0.0/16"), "the /16 left the set: " + set);
        assertTrue(set.contains("10.78.1.1"), "the entry it covered is in the set by itself: " + set);

        tables.delete("bad", IpPrefix.host(IpAddress.parse(peerAddr)));
        tables.delete("bad", IpPrefix.host(IpAddress.parse("10.50.0.1")));
        assertTrue(kernel.awaitSynced(2000));
        set = nft("list", "set", "inet", "palisade", "t_bad_v4");
        assertFalse(set.contains(peerAddr + ",") || set.contains(peerAddr + " "), "unbanned: " + set);
        assertFalse(set.contains("10.50.0.1,") || set.contains("10.50.0.1 "), "deleted: " + set);
        assertTrue(set.contains("10.50.0.3"), "its neighbour stays: " + set);
        assertTrue(connects(), "the unbanned peer connects again");
    }

    /**
     * A reload replaces the table in one transaction and keeps its sets: a banned peer flooding UDP
     * through 100 reloads gets nothing through. (Deleting and recreating the interval sets, as the
     * load of a fresh table does, let about one reload in 25 pass a packet on Linux 6.18, and that
     * packet's conntrack state then passed every later one.)
     */
    @Test
    void reloadsUnderAFloodLetNothingThroughFromABannedPeer() throws Exception {
        tables.add("bad", IpPrefix.host(IpAddress.parse(peerAddr)), null, new Origin.Trap("test"));
        assertTrue(kernel.awaitSynced(2000));
        java.net.DatagramSocket rx = Netns.call(fw, () -> new java.net.DatagramSocket(new InetSocketAddress(fwAddr, 9999)));
        closers.add(rx);
        java.net.DatagramSocket tx = Netns.call(peer, java.net.DatagramSocket::new);
        closers.add(tx);
        rx.setSoTimeout(100);
        AtomicLong received = new AtomicLong(), sent = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = Thread.ofPlatform().start(() -> {
            byte[] b = new byte[16];
            while (!stop.get()) {
                try {
                    rx.receive(new java.net.DatagramPacket(b, b.length));
                    received.incrementAndGet();
                } catch (SocketTimeoutException e) {
                    // keep listening
                } catch (IOException e) {
                    return;
                }
            }
        });
        Thread sender = Thread.ofPlatform().start(() -> {
            byte[] b = {'x'};
            while (!stop.get()) {
                try {
                    tx.send(new java.net.DatagramPacket(b, 1, new InetSocketAddress(fwAddr, 9999)));
                    sent.incrementAndGet();
                    LockSupport.parkNanos(200_000); // pace the flood (not a wait on a condition)
                } catch (IOException e) {
                    return;
                }
            }
        });
        int reloads = 0;
        try {
            for (; reloads < 100 && received.get() == 0; reloads++) {
                KernelSide.Prepared.Ok ok = assertInstanceOf(KernelSide.Prepared.Ok.class,
                        KernelSide.prepare(dir.resolve("pf.conf"), false));
                kernel.install(ok);
            }
        } finally {
            stop.set(true);
            sender.join(5000);
            reader.join(5000);
        }
        assertTrue(sent.get() > 1000, "the peer kept sending: " + sent.get());
        assertEquals(0, received.get(), "packets from the banned peer passed during reload " + reloads
                + " (" + sent.get() + " sent)");
        String bad = nft("list", "set", "inet", "palisade", "t_bad_v4");
        assertTrue(bad.contains(peerAddr), "the ban is still in the kept set: " + bad);
        assertFalse(nft("list", "set", "inet", "palisade", "t_nets_v4").contains(peerAddr + ","),
                "<nets> still has its hole for the peer");
    }

    /**
     * The tripwire's fast path: the kernel drops the source before its durable add (no thread
     * hand-off, no journal in between); the durable add then finds the element in place and sends
     * nothing; whatever the durable add would refuse is refused here too, and nothing is pushed.
     */
    @Test
    void fastPathEnforcesBeforeTheDurableAddAndRefusesWhatTheAddWouldRefuse() throws Exception {
        acceptAndClose();
        assertTrue(connects(), "the peer connects before any ban");
        IpAddress src = IpAddress.parse(peerAddr);
        Origin tripwire = new Origin.Tripwire(7101);
        dev.palisade.services.Enforcer enforcer = kernel.enforcer();
        long[] before = kernel.pushCounts();
        long journal = tables.store().lastSequence();
        Instant expires = Instant.now().plusSeconds(3600);

        assertTrue(enforcer.enforceNow("bad", src, expires, tripwire), "enforced at once");
        assertEquals(journal, tables.store().lastSequence(), "nothing journaled by the fast path");
        assertFalse(tables.matches("bad", src), "not in the durable table yet");
        String set = nft("list", "set", "inet", "palisade", "t_bad_v4");
        assertTrue(set.contains(peerAddr + " timeout"), "in the kernel set, with the ban's lifetime: " + set);
        assertFalse(connects(), "the kernel drops the source before the durable add");
        assertFalse(enforcer.enforceNow("bad", src, expires, tripwire), "the kernel holds it already: nothing sent");

        tables.add("bad", IpPrefix.host(src), expires, tripwire);
        assertTrue(kernel.awaitSynced(2000));
        long[] after = kernel.pushCounts();
        assertEquals(before[2] + 1, after[2], "one fast-path ban");
        assertEquals(before[1], after[1], "the durable add found the element in place: no incremental transaction");
        assertEquals(before[0], after[0], "nothing recomputed");
        assertTrue(nft("list", "set", "inet", "palisade", "t_bad_v4").contains(peerAddr), "still banned");
        assertFalse(connects(), "still dropped");

        String allowed = net.replace(".0/24", ".99");
        tables.setAllowlist(new Allowlist(List.of(new Allowlist.Allowed(IpPrefix.parse(allowed + "/32"), "test"))));
        assertFalse(enforcer.enforceNow("bad", IpAddress.parse(allowed), null, tripwire), "allowlisted: refused");
        assertFalse(enforcer.enforceNow("none", IpAddress.parse("10.70.0.1"), null, tripwire), "no such table");
        assertFalse(enforcer.enforceNow("bad", IpAddress.parse("10.70.0.1"), Instant.now().minusSeconds(5), tripwire),
                "already expired");
        set = nft("list", "set", "inet", "palisade", "t_bad_v4");
        assertFalse(set.contains("10.70.0.1") || set.contains(allowed), "nothing refused reached the kernel: " + set);
    }

    /** The start-up warm-up of the ban path leaves the tables, the journal and the kernel sets as they were. */
    @Test
    void banPathWarmupChangesNothing() throws Exception {
        tables.add("bad", IpPrefix.host(IpAddress.parse("10.61.0.1")), null, new Origin.Trap("test"));
        assertTrue(kernel.awaitSynced(2000));
        String setBefore = nft("list", "set", "inet", "palisade", "t_bad_v4");
        StringBuilder tablesBefore = new StringBuilder();
        tables.read(t -> {
            t.showTables(2, l -> tablesBefore.append(l).append('\n'));
            return null;
        });
        long journal = tables.store().lastSequence();
        tables.setAllowlist(new Allowlist(List.of(new Allowlist.Allowed(IpPrefix.parse("192.0.2.0/24"), "test"))));
        long refused = tables.refusedCount();
        long ns = dev.palisade.app.daemon.BanPathWarmup.run(tables, kernel);
        assertTrue(kernel.awaitSynced(2000));
        StringBuilder tablesAfter = new StringBuilder();
        tables.read(t -> {
            t.showTables(2, l -> tablesAfter.append(l).append('\n'));
            return null;
        });
        assertEquals(tablesBefore.toString(), tablesAfter.toString(), "no table created or changed");
        assertEquals(journal, tables.store().lastSequence(), "nothing journaled");
        assertEquals(refused, tables.refusedCount(), "no allowlist refusal counted (or logged) for the documentation address");
        assertEquals(setBefore, nft("list", "set", "inet", "palisade", "t_bad_v4"), "the kernel set is as it was");
        assertTrue(ns > 0);
    }

    /** Figures for BENCHMARKS.md: one ban at a time, from the Tables call until the kernel set holds it. */
    @Test
    void banLatency() throws Exception {
        int n = 200;
        long[] total = new long[n], afterDurable = new long[n];
        for (int i = 0; i < n; i++) {
            IpPrefix p = IpPrefix.host(IpAddress.parse("198.18." + (i / 250) + "." + (i % 250 + 1)));
            long t0 = System.nanoTime();
            tables.add("bad", p, null, new Origin.Manual("bench"));
            long t1 = System.nanoTime();
            assertTrue(kernel.awaitSynced(2000), "ban " + i + " reached the kernel");
            long t2 = System.nanoTime();
            total[i] = t2 - t0;
            afterDurable[i] = t2 - t1;
        }
        java.util.Arrays.sort(total);
        java.util.Arrays.sort(afterDurable);
        String bad = nft("list", "set", "inet", "palisade", "t_bad_v4");
        assertTrue(bad.contains("198.18.0.200"), "the last ban is in the kernel set");
        System.out.printf("ban latency over %d bans: durable+kernel p50 %.2f ms p99 %.2f ms; after durable p50 %.3f ms p99 %.3f ms%n",
                n, total[n / 2] / 1e6, total[n * 99 / 100] / 1e6, afterDurable[n / 2] / 1e6, afterDurable[n * 99 / 100] / 1e6);
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** A server on fwAddr:8080 that accepts and closes every connection (closed after the test). */
    private void acceptAndClose() throws Exception {
        closers.add(Ns.acceptAndClose(fw, fwAddr, 8080));
    }

    private boolean connects() throws Exception {
        return Netns.call(peer, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(fwAddr, 8080), 400);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private boolean conntrackHas(String addr) {
        try {
            return exec("ip", "netns", "exec", fw, "conntrack", "-L", "-s", addr).contains("src=" + addr);
        } catch (Exception e) {
            return true;
        }
    }

    private String nft(String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", fw, "nft"));
        c.addAll(List.of(args));
        return exec(c.toArray(String[]::new));
    }

    private static String exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
