package dev.palisade.app.daemon.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * palisaded's divert ports end to end, as root, in two fresh network
 * namespaces joined by a veth pair: the daemon runs in the first (a real
 * child process under {@code ip netns exec}), with an iptables
 * {@code -j NFQUEUE} rule standing in for pf.conf's {@code divert-packet}
 * (loading pf.conf into nft is the kernel side's); the peer is the second.
 * An nmap SYN scan to diverted ports bans the scanner through the tripwire
 * within 1 s of its first SYN on the wire (tcpdump's kernel timestamp to
 * the tripwire's log line, written once the ban is durable); a card number sent over TCP through the redact diverter
 * arrives masked. Skips without root, ip, iptables or nmap; the namespaces
 * have unique names and are always removed.
 */
class DaemonNamespaceTest {

    @TempDir
    Path tmp;
    final String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    final String nsD = "pal-d-" + id, nsP = "pal-p-" + id;
    final int subnet = ThreadLocalRandom.current().nextInt(1, 255);
    final String daemonV4 = "10.214." + subnet + ".1", peerV4 = "10.214." + subnet + ".2";
    final List<Process> children = new ArrayList<>();
    boolean createdD, createdP;

    static boolean has(String... paths) {
        for (String p : paths) if (new File(p).canExecute()) return true;
        return false;
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": did not finish within 60 s");
        }
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + out);
        return out;
    }

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces: skipped");
        Assumptions.assumeTrue(has("/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip") && has("/usr/sbin/iptables", "/sbin/iptables")
                && has("/usr/bin/nmap") && has("/usr/bin/tcpdump", "/usr/sbin/tcpdump"), "needs ip, iptables, nmap and tcpdump: skipped");
        run("ip", "netns", "add", nsD);
        createdD = true;
        run("ip", "netns", "add", nsP);
        createdP = true;
        run("ip", "-n", nsD, "link", "add", "d" + id, "type", "veth", "peer", "name", "p" + id, "netns", nsP);
        run("ip", "-n", nsD, "link", "set", "lo", "up");
        run("ip", "-n", nsP, "link", "set", "lo", "up");
        run("ip", "-n", nsD, "addr", "add", daemonV4 + "/24", "dev", "d" + id);
        run("ip", "-n", nsP, "addr", "add", peerV4 + "/24", "dev", "p" + id);
        run("ip", "-n", nsD, "link", "set", "d" + id, "up");
        run("ip", "-n", nsP, "link", "set", "p" + id, "up");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : children) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
        }
        try {
            if (createdD) run("ip", "netns", "del", nsD); // the veth pair and the iptables rules go with it
        } finally {
            if (createdP) run("ip", "netns", "del", nsP);
        }
    }

    Process inNs(String ns, Path log, List<String> cmd) throws IOException {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        all.addAll(cmd);
        Process p = new ProcessBuilder(all).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        children.add(p);
        return p;
    }

    Process daemon(Path conf, Path socket, Path log) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process d = inNs(nsD, log, List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.palisade.app.Main", "daemon", "-c", conf.toString(), "--state-dir", tmp.resolve("state").toString(),
                "--socket", socket.toString()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log).contains("reading NFQUEUE")) {
            if (!d.isAlive()) fail("palisaded exited with " + d.exitValue() + ":\n" + Files.readString(log));
            if (System.nanoTime() > deadline) fail("palisaded's diverter not reading within 60 s:\n" + Files.readString(log));
            LockSupport.parkNanos(20_000_000); // polls the condition, bounded by the deadline
        }
        return d;
    }

    @Test
    void nmapSynScanToATripwirePortBansTheScannerWithinOneSecond() throws Exception {
        Path conf = tmp.resolve("palisade.conf");
        Files.writeString(conf, "create-tables yes\ndivert 7101 tripwire table \"bofh\" lifetime 600\n");
        Path socket = tmp.resolve("p.sock");
        Path log = tmp.resolve("palisaded.log");
        run("ip", "netns", "exec", nsD, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "20:30", "-j", "NFQUEUE", "--queue-num", "7101");
        Process d = daemon(conf, socket, log);

        // the clock starts when the first SYN reaches the daemon's interface, as tcpdump stamps it (kernel time):
        // on this shared machine launching nmap alone can take longer than the second we measure
        Path tlog = tmp.resolve("tcpdump.log");
        Process tcpdump = inNs(nsD, tlog, List.of("tcpdump", "-i", "d" + id, "-n", "-l", "-tt", "-c", "1",
                "tcp[tcpflags] & tcp-syn != 0 and src host " + peerV4));
        long ready = System.currentTimeMillis() + 30_000;
        while (!Files.readString(tlog).contains("listening on")) {
            if (!tcpdump.isAlive() || System.currentTimeMillis() > ready) fail("tcpdump did not start: " + Files.readString(tlog));
            LockSupport.parkNanos(20_000_000); // polls the condition, bounded by the deadline
        }
        Process nmap = inNs(nsP, tmp.resolve("nmap.log"), List.of("nmap", "-sS", "-Pn", "-n", "--max-retries", "0", "-p", "20-30", daemonV4));
        assertTrue(tcpdump.waitFor(30, TimeUnit.SECONDS), "tcpdump saw the first SYN: " + Files.readString(tlog));
        String syn = Files.readString(tlog).lines().filter(l -> l.matches("^[0-9]+\\.[0-9]+ .*")).findFirst()
                .orElseThrow(() -> new AssertionError("no packet line from tcpdump"));
        long t0 = Math.round(Double.parseDouble(syn.substring(0, syn.indexOf(' '))) * 1000);
        // the ban's time is that of the tripwire's log line, written when the add is durable (its timestamp, not
        // when this test happens to poll: on a loaded machine a poll can take a few hundred ms)
        String banLine = "tripwire: " + peerV4 + ":";
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.readString(log).contains(banLine)) {
            if (!d.isAlive()) fail("palisaded exited:\n" + Files.readString(log));
            if (System.currentTimeMillis() > deadline) fail("no ban within 30 s:\n" + Files.readString(log));
            LockSupport.parkNanos(5_000_000); // polls the condition, bounded by the deadline
        }
        String line = Files.readString(log).lines().filter(l -> l.contains(banLine)).findFirst().orElseThrow();
        long banned = java.time.OffsetDateTime.parse(line.substring(0, line.indexOf(' '))).toInstant().toEpochMilli();
        long ms = banned - t0;
        assertTrue(ms >= 0 && ms <= 1000, "scanner banned " + ms + " ms after its first SYN arrived (0 to 1000 expected):\n" + line + "\n" + syn);
        assertTrue(DaemonServicesTest.show(socket, "bofh").contains(peerV4), "the scanner is in <bofh>");
        assertTrue(nmap.waitFor(60, TimeUnit.SECONDS), "nmap finishes");
        String why = DaemonServicesTest.palisade("why", "--socket", socket.toString(), peerV4).out();
        assertTrue(why.contains("tripwire port 7101"), why);
        assertFalse(DaemonServicesTest.show(socket, "bofh").contains(daemonV4), "only the scanner");
        System.out.println("daemon namespace test: first SYN on the wire to ban logged " + ms + " ms");
    }

    @Test
    void redactDiverterMasksACardNumberSentOverTcpThroughTheQueue() throws Exception {
        Assumptions.assumeTrue(new ProcessBuilder("sh", "-c", "command -v python3").start().waitFor() == 0,
                "needs python3 for the TCP peers: skipped");
        Path conf = tmp.resolve("palisade.conf");
        Files.writeString(conf, "diverter \"redact\" port 7102 {\n    pattern card mask\n}\n");
        Path socket = tmp.resolve("p.sock");
        Path log = tmp.resolve("palisaded.log");
        run("ip", "netns", "exec", nsD, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "9000", "-j", "NFQUEUE", "--queue-num", "7102");
        daemon(conf, socket, log);

        Path received = tmp.resolve("received");
        Path rlog = tmp.resolve("receiver.log");
        String receiver = """
                import socket, sys
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("%s", 9000)); s.listen(1); s.settimeout(30)
                print("listening", flush=True)
                c, _ = s.accept(); c.settimeout(30); data = b""
                while True:
                    b = c.recv(4096)
                    if not b: break
                    data += b
                open(sys.argv[1], "wb").write(data)
                """.formatted(daemonV4);
        Process r = inNs(nsD, rlog, List.of("python3", "-c", receiver, received.toString()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.readString(rlog).contains("listening")) {
            if (!r.isAlive() || System.nanoTime() > deadline) fail("receiver did not start: " + Files.readString(rlog));
            LockSupport.parkNanos(20_000_000); // polls the condition, bounded by the deadline
        }
        String sender = """
                import socket
                s = socket.create_connection(("%s", 9000), timeout=30)
                s.sendall(b"order 17 card 4111 1111 1111 1111 end\\n"); s.close()
                """.formatted(daemonV4);
        run("ip", "netns", "exec", nsP, "python3", "-c", sender);
        assertTrue(r.waitFor(30, TimeUnit.SECONDS), "receiver finishes");
        String got = Files.readString(received);
        assertFalse(got.contains("4111"), "the card number is masked: " + got);
        assertEquals("order 17 card XXXXXXXXXXXXXXXXXXX end\n".length(), got.length(), got);
        assertTrue(got.startsWith("order 17 card ") && got.endsWith(" end\n") && got.contains("XXXX"), got);
    }

    @Test
    void standaloneBofhDivertBansIntoTheRunningDaemonsTable() throws Exception {
        Path conf = tmp.resolve("palisade.conf");
        Files.writeString(conf, "# no services: the standalone command serves the queue\n");
        Path socket = tmp.resolve("p.sock");
        Path log = tmp.resolve("palisaded.log");
        run("ip", "netns", "exec", nsD, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "23", "-j", "NFQUEUE", "--queue-num", "7103");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> base = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.palisade.app.Main");
        List<String> dcmd = new ArrayList<>(base);
        dcmd.addAll(List.of("daemon", "-c", conf.toString(), "--state-dir", tmp.resolve("state").toString(), "--socket", socket.toString()));
        Process d = inNs(nsD, log, dcmd);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log).contains("listening on " + socket)) {
            if (!d.isAlive() || System.nanoTime() > deadline) fail("palisaded not ready:\n" + Files.readString(log));
            LockSupport.parkNanos(20_000_000); // polls the condition, bounded by the deadline
        }
        Path blog = tmp.resolve("bofh.log");
        List<String> bcmd = new ArrayList<>(base);
        bcmd.addAll(List.of("bofh-divert", "-p", "7103", "-t", "bofh", "--create-table", "--socket", socket.toString()));
        Process b = inNs(nsD, blog, bcmd);
        // ready once the table exists (the tripwire creates it before the queue is bound) and the queue is bound
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!DaemonServicesTest.palisade("pfctl", "--socket", socket.toString(), "-s", "Tables").out().contains("bofh")
                || !queueBound(7103)) {
            if (!b.isAlive() || System.nanoTime() > deadline) fail("bofh-divert not running:\n" + Files.readString(blog));
            LockSupport.parkNanos(20_000_000); // polls the condition, bounded by the deadline
        }
        run("ip", "netns", "exec", nsP, "nmap", "-sS", "-Pn", "-n", "--max-retries", "0", "-p", "23", daemonV4);
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!DaemonServicesTest.show(socket, "bofh").contains(peerV4)) {
            if (System.nanoTime() > deadline) fail("not banned; bofh-divert said:\n" + Files.readString(blog) + "\ndaemon:\n" + Files.readString(log));
            LockSupport.parkNanos(10_000_000); // polls the condition, bounded by the deadline
        }
        String why = DaemonServicesTest.palisade("why", "--socket", socket.toString(), peerV4).out();
        assertTrue(why.contains("tripwire port 7103"), why);
    }

    /** Whether queue {@code q} has a reader in the daemon's namespace (/proc/net/netfilter/nfnetlink_queue, first column). */
    boolean queueBound(int q) throws Exception {
        for (String line : run("ip", "netns", "exec", nsD, "cat", "/proc/net/netfilter/nfnetlink_queue").split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length > 0 && w[0].equals(Integer.toString(q))) return true;
        }
        return false;
    }

    @Test
    void dnsblGateBansASourceTheLocalUnboundLists() throws Exception {
        Assumptions.assumeTrue(has("/usr/sbin/unbound", "/usr/bin/unbound") && has("/usr/bin/ss", "/usr/sbin/ss", "/bin/ss"),
                "needs unbound and ss: skipped");
        String[] o = peerV4.split("\\.");
        Path uconf = tmp.resolve("unbound.conf");
        Files.writeString(uconf, """
                server:
                  interface: 127.0.0.1
                  port: 5353
                  do-daemonize: no
                  username: ""
                  chroot: ""
                  directory: "%s"
                  pidfile: ""
                  use-syslog: no
                  do-ip6: no
                  access-control: 127.0.0.0/8 allow
                  local-zone: "test.bl." static
                  local-data: "%s.%s.%s.%s.test.bl. A 127.0.0.2"
                """.formatted(tmp, o[3], o[2], o[1], o[0]));
        Path ulog = tmp.resolve("unbound.log");
        Process u = inNs(nsD, ulog, List.of("unbound", "-d", "-c", uconf.toString()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!run("ip", "netns", "exec", nsD, "ss", "-lun").contains("127.0.0.1:5353")) {
            if (!u.isAlive() || System.nanoTime() > deadline) fail("unbound did not start:\n" + Files.readString(ulog));
            LockSupport.parkNanos(20_000_000); // polls the condition, bounded by the deadline
        }
        Path conf = tmp.resolve("palisade.conf");
        Files.writeString(conf, "create-tables yes\ndivert 7104 dnsbl black \"black\" cache \"clean\" zones { test.bl } "
                + "resolver 127.0.0.1 port 5353 timeout 2\n");
        Path socket = tmp.resolve("p.sock");
        Path log = tmp.resolve("palisaded.log");
        run("ip", "netns", "exec", nsD, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "25", "-j", "NFQUEUE", "--queue-num", "7104");
        Process d = daemon(conf, socket, log);
        run("ip", "netns", "exec", nsP, "nmap", "-sS", "-Pn", "-n", "--max-retries", "1", "-p", "25", daemonV4);
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!DaemonServicesTest.show(socket, "black").contains(peerV4)) {
            if (!d.isAlive() || System.nanoTime() > deadline) fail("listed source not banned:\n" + Files.readString(log));
            LockSupport.parkNanos(10_000_000); // polls the condition, bounded by the deadline
        }
        String why = DaemonServicesTest.palisade("why", "--socket", socket.toString(), peerV4).out();
        assertTrue(why.contains("dnsbl test.bl answered 127.0.0.2"), why);
        assertFalse(DaemonServicesTest.show(socket, "clean").contains(peerV4), "a listed source is not cached as clean");
    }
}
