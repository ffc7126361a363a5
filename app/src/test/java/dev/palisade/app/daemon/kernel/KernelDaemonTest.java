package dev.palisade.app.daemon.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.app.cli.PfctlCommand;
import dev.palisade.kernel.netlink.Netns;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * palisaded programs the kernel: the daemon runs as a child JVM inside a
 * firewall namespace joined by a veth pair to a peer namespace; the CLI
 * talks to it over its control socket; the peer's packets show what the
 * kernel does. Root only (skipped otherwise); unique names; always cleaned up.
 */
class KernelDaemonTest {

    private static final AtomicLong SEQ = new AtomicLong();

    @TempDir
    Path dir;

    private String fw, peer;
    private String fwAddr, peerAddr;
    private Path socket, conf, log;
    private Process daemon;
    private final List<AutoCloseable> closers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (network namespaces, nftables)");
        assumeTrue(run("nft", "--version") == 0, "needs nft");
        long n = (ProcessHandle.current().pid() * 31 + SEQ.incrementAndGet()) % 200 + 20;
        String tag = Long.toString(ProcessHandle.current().pid(), 36) + SEQ.get();
        fw = "ikfw" + tag;
        peer = "ikpe" + tag;
        fwAddr = "10.213." + n + ".1";
        peerAddr = "10.213." + n + ".2";
        must("ip", "netns", "add", fw);
        must("ip", "netns", "add", peer);
        must("ip", "-n", fw, "link", "add", "vfw" + tag, "type", "veth", "peer", "name", "vpe" + tag, "netns", peer);
        must("ip", "-n", fw, "addr", "add", fwAddr + "/24", "dev", "vfw" + tag);
        must("ip", "-n", peer, "addr", "add", peerAddr + "/24", "dev", "vpe" + tag);
        for (String ns : List.of(fw, peer)) {
            must("ip", "-n", ns, "link", "set", "lo", "up");
        }
        must("ip", "-n", fw, "link", "set", "vfw" + tag, "up");
        must("ip", "-n", peer, "link", "set", "vpe" + tag, "up");
        socket = dir.resolve("palisaded.sock");
        conf = dir.resolve("pf.conf");
        log = dir.resolve("daemon.log");
        Files.writeString(conf, """
                table <bad> persist
                block in quick from <bad> label "banned"
                pass in all
                pass out all
                """);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closers) {
            try {
                c.close();
            } catch (Exception ignored) {
                // cleaning up anyway
            }
        }
        if (daemon != null && daemon.isAlive()) {
            daemon.destroyForcibly();
            daemon.waitFor(10, TimeUnit.SECONDS);
        }
        if (fw != null) run("ip", "netns", "del", fw);
        if (peer != null) run("ip", "netns", "del", peer);
    }

    // ---- the tests --------------------------------------------------------------------------

    @Test
    void banReachesKernelKillsEstablishedAndDeleteLetsThrough() throws Exception {
        startDaemon();
        // NIO sockets get their descriptor at bind/connect: do those inside the namespace
        ServerSocket server = Netns.call(fw, () -> new ServerSocket(8080, 50, java.net.InetAddress.getByName(fwAddr)));
        closers.add(server);
        // an established connection, data flows (the peer connects before any ban)
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
        // a conntrack entry no rule of ours made (mark 0): -s states leaves it out
        assertEquals(0, run("ip", "netns", "exec", fw, "conntrack", "-I", "-s", "192.0.2.9", "-d", "192.0.2.10", "-p", "tcp",
                "--sport", "1111", "--dport", "2222", "--state", "ESTABLISHED", "-t", "120", "-u", "SEEN_REPLY"));
        Out st = pfctl("-s", "states");
        assertTrue(st.out.contains("all tcp " + fwAddr + ":8080 <- " + peerAddr + ":" + client.getLocalPort()
                + "       ESTABLISHED:ESTABLISHED"), st.out + st.err);
        assertFalse(st.out.contains("192.0.2.9"), "only the states our rules made: " + st.out);
        Out stv = pfctl("-s", "states", "-v");
        assertTrue(stv.out.matches("(?s).*\\n   expires in \\d+:\\d\\d:\\d\\d.*ct mark 0x8.*"), stv.out + "|" + stv.err + "|" + stv.rc);

        // the ban: CLI -> control socket -> durable table -> kernel set, and the state is killed
        long t0 = System.nanoTime();
        assertEquals(0, pfctl("-t", "bad", "-T", "add", peerAddr).rc);
        waitFor(() -> setHolds(peerAddr), 2000, "the peer in the kernel set t_bad_v4");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(conntrackHas(peerAddr), "a manual ban leaves states alone (as pf's -T add does)");
        Out k = pfctl("-k", peerAddr);
        assertEquals(0, k.rc, k.err);
        assertTrue(k.err.matches("(?s)killed [1-9]\\d* states from 1 sources.*"), k.err);
        assertTrue(!conntrackHas(peerAddr), "pfctl -k killed the peer's conntrack entries");
        assertTrue(!connects(), "a new connection from the banned peer fails");
        co.write('b');
        co.flush();
        try {
            int r = ai.read();
            fail("data from the banned peer arrived on the established connection: " + r);
        } catch (SocketTimeoutException expected) {
            // dropped: the established connection is dead
        }
        System.out.println("ban reached the kernel within " + ms + " ms (CLI round trip included)");

        // labels count the drops
        Out l = pfctl("-s", "labels");
        assertEquals(0, l.rc, l.err);
        long drops = labelPackets(l.out, "banned");
        assertTrue(drops > 0, "label counter moved: " + l.out);
        assertTrue(!connects());
        long later = labelPackets(pfctl("-s", "labels").out, "banned");
        assertTrue(later > drops, "label counter keeps moving with traffic: " + drops + " then " + later);

        // -s rules: pf's syntax; -v: pfctl's counters line, packets from the rule's kernel lines; --nft: nft's view
        Out rules = pfctl("-s", "rules");
        assertEquals(0, rules.rc, rules.err);
        assertTrue(rules.out.startsWith("block drop in quick from <bad> to any label \"banned\"\n"), rules.out);
        assertFalse(rules.out.contains("table inet"), rules.out);
        Out rv = pfctl("-s", "rules", "-v");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "label \"banned\"\n  \\[ Evaluations: 0 +Packets: (\\d+) +Bytes: (\\d+) +States: 0 +]").matcher(rv.out);
        assertTrue(m.find(), rv.out);
        assertTrue(Long.parseLong(m.group(1)) >= later && Long.parseLong(m.group(2)) > 0, rv.out);
        assertTrue(rv.out.matches("(?s).*pass in all[^\\n]*\\n  \\[ Evaluations: 0 +Packets: [1-9]\\d* .*"),
                "the pass rule counted the connections it passed: " + rv.out);
        assertTrue(pfctl("-s", "rules", "--nft").out.contains("table inet palisade {"));

        // -d removes the program (the banned peer gets through), -e puts it back with the sets full
        assertTrue(pfctl("-s", "info").out.contains("Status: Enabled"));
        assertEquals(0, pfctl("-d").rc);
        assertTrue(connects(), "-d: nothing is filtered");
        assertTrue(pfctl("-s", "info").out.contains("Status: Disabled"));
        assertEquals(0, pfctl("-e").rc);
        assertTrue(setHolds(peerAddr), "-e: the set is full again");
        assertTrue(!connects(), "-e: the ban is enforced again");
        Out to = pfctl("-s", "timeouts");
        assertTrue(to.out.matches("(?s).*tcp\\.established +\\d+s.*"), to.out);

        // delete: passes again
        assertEquals(0, pfctl("-t", "bad", "-T", "delete", peerAddr).rc);
        waitFor(() -> !setHolds(peerAddr), 2000, "the peer out of the kernel set");
        assertTrue(connects(), "the peer connects again after -T delete");
    }

    @Test
    void restartLetsNothingThroughAndBrokenReloadChangesNothing() throws Exception {
        startDaemon();
        DatagramSocket rx = Netns.call(fw, () -> new DatagramSocket(new InetSocketAddress(fwAddr, 9999)));
        closers.add(rx);
        DatagramSocket tx = Netns.call(peer, DatagramSocket::new);
        closers.add(tx);
        assertEquals(0, pfctl("-t", "bad", "-T", "add", peerAddr).rc);
        waitFor(() -> setHolds(peerAddr), 2000, "the peer in the kernel set");

        AtomicLong received = new AtomicLong();
        AtomicLong sent = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        rx.setSoTimeout(100);
        Thread reader = Thread.ofPlatform().start(() -> {
            byte[] b = new byte[64];
            while (!stop.get()) {
                try {
                    rx.receive(new DatagramPacket(b, b.length));
                    received.incrementAndGet();
                } catch (SocketTimeoutException e) {
                    // keep listening
                } catch (IOException e) {
                    return;
                }
            }
        });
        Thread sender = Thread.ofPlatform().start(() -> {
            byte[] b = "x".getBytes(StandardCharsets.US_ASCII);
            while (!stop.get()) {
                try {
                    tx.send(new DatagramPacket(b, b.length, new InetSocketAddress(fwAddr, 9999)));
                    sent.incrementAndGet();
                    LockSupport.parkNanos(500_000); // pace the flood (not a wait on a condition)
                } catch (IOException e) {
                    return;
                }
            }
        });
        StringBuilder steps = new StringBuilder();
        Runnable mark = () -> steps.append(' ').append(received.get()).append('/').append(sent.get());
        try {
            // SIGTERM, start again, while the banned host keeps sending
            daemon.destroy();
            assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "daemon stops on SIGTERM");
            assertTrue(setHolds(peerAddr), "the set survives the daemon's stop");
            mark.run();
            startDaemon();
            mark.run();
            assertTrue(setHolds(peerAddr), "the set still holds the peer after the restart");

            // a broken ruleset changes nothing
            String before = nft("list", "table", "inet", "palisade").replaceAll("packets \\d+ bytes \\d+", "");
            Path broken = dir.resolve("broken.conf");
            Files.writeString(broken, "table <bad> persist\nblock in quick from <nosuch> to port 99999\npass in al\n");
            Out r = pfctl("-f", broken.toString());
            assertEquals(1, r.rc, "pfctl -f with a broken ruleset fails");
            assertTrue(r.err.contains(broken + ":"), "errors name FILE:LINE: " + r.err);
            String after = nft("list", "table", "inet", "palisade").replaceAll("packets \\d+ bytes \\d+", "");
            assertEquals(before, after, "the kernel program is unchanged");
            assertTrue(setHolds(peerAddr));

            // a good reload keeps the ban (the set is never emptied)
            mark.run();
            Out ok = pfctl("-f", conf.toString());
            mark.run();
            assertEquals(0, ok.rc, ok.err);
            assertTrue(setHolds(peerAddr), "the ban survives pfctl -f");

            // SIGHUP reloads the daemon's -f file: a new label appears, the ban stays
            Files.writeString(conf, Files.readString(conf).replace("label \"banned\"", "label \"hup\""));
            assertEquals(0, run("kill", "-HUP", Long.toString(daemon.pid())));
            waitFor(() -> pfctl("-s", "labels").out.contains("hup "), 10_000, "the SIGHUP reload (label hup)", log);
            assertTrue(setHolds(peerAddr), "the ban survives SIGHUP");
            mark.run();
        } finally {
            stop.set(true);
            sender.join(5000);
            reader.join(5000);
        }
        assertTrue(sent.get() > 100, "the peer kept sending: " + sent.get());
        assertEquals(0, received.get(), "zero packets from the banned peer passed (" + sent.get()
                + " sent; received/sent after stop, start, broken -f, good -f, HUP:" + steps + ")");
    }

    @Test
    void overloadedSourceIsInPfctlShowAndSurvivesARestart() throws Exception {
        Files.writeString(conf, """
                table <flood> persist
                block in quick proto tcp from <flood> to port 8080
                pass in proto tcp to port 8080 keep state (max-src-conn-rate 2/10, overload <flood> flush global)
                pass out all
                """);
        startDaemon();
        closers.add(Ns.acceptAndClose(fw, fwAddr, 8080));
        int passed = 0;
        for (int i = 0; i < 5; i++) if (connects()) passed++;
        assertTrue(passed <= 2, "the rate (burst 2) let only 2 connections through, not " + passed);
        waitFor(() -> pfctl("-t", "flood", "-T", "show").out.contains(peerAddr), 3000,
                "the overloaded peer in pfctl -t flood -T show");
        // SIGTERM and start again: the durable table and the kernel still hold it
        daemon.destroy();
        assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "daemon stops on SIGTERM");
        startDaemon();
        Out show = pfctl("-t", "flood", "-T", "show");
        assertTrue(show.out.contains(peerAddr), "after the restart: " + show.out + show.err);
        assertTrue(nft("list", "set", "inet", "palisade", "t_flood_v4").contains(peerAddr), "in the kernel set");
        assertTrue(!connects(), "still blocked after the restart");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private void startDaemon() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Files.deleteIfExists(log);
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", fw, java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.palisade.app.Main", "daemon", "-f", conf.toString(),
                "--state-dir", dir.resolve("state").toString(), "--socket", socket.toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        daemon = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(log) || !Files.readString(log).contains("ruleset loaded into inet palisade")) {
            if (!daemon.isAlive()) fail("palisaded exited: " + Files.readString(log));
            if (System.nanoTime() > deadline) fail("palisaded not ready within 60 s: " + Files.readString(log));
            LockSupport.parkNanos(20_000_000); // poll the condition, bounded by the deadline
        }
        waitFor(() -> pfctl("-s", "info").rc == 0, 10_000, "the control socket answers");
    }

    record Out(int rc, String out, String err) {}

    private Out pfctl(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        CommandLine cl = new CommandLine(new PfctlCommand());
        cl.setOut(new PrintWriter(o, true));
        cl.setErr(new PrintWriter(e, true));
        List<String> a = new ArrayList<>(List.of("--socket", socket.toString()));
        a.addAll(List.of(args));
        int rc = cl.execute(a.toArray(String[]::new));
        return new Out(rc, o.toString(), e.toString());
    }

    private static long labelPackets(String out, String label) {
        for (String l : out.split("\n")) {
            String[] f = l.trim().split(" ");
            if (f.length >= 3 && f[0].equals(label)) return Long.parseLong(f[2]);
        }
        throw new AssertionError("no label " + label + " in: " + out);
    }

    private boolean connects() {
        return Ns.connects(peer, fwAddr, 8080);
    }

    private boolean setHolds(String addr) {
        try {
            return nft("list", "set", "inet", "palisade", "t_bad_v4").matches("(?s).*\\b" + addr.replace(".", "\\.") + "\\b.*");
        } catch (Exception e) {
            return false;
        }
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

    /** As {@link #waitFor(BooleanSupplier, long, String)}, with the daemon's log in the failure. */
    private static void waitFor(BooleanSupplier cond, long millis, String what, Path daemonLog) throws IOException {
        try {
            waitFor(cond, millis, what);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; palisaded's log:\n" + Files.readString(daemonLog), e);
        }
    }

    private static void waitFor(BooleanSupplier cond, long millis, String what) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("not within " + millis + " ms: " + what);
            LockSupport.parkNanos(5_000_000); // poll the condition, bounded by the deadline
        }
    }

    private static String exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private static int run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    private static void must(String... cmd) {
        int rc = run(cmd);
        if (rc != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed with " + rc);
    }
}
