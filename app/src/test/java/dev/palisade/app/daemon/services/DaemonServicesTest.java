package dev.palisade.app.daemon.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.palisade.app.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * palisaded as a real child process with a palisade.conf that starts a trap
 * listener, pftabled and the metrics exporter: a TCP connect bans the peer,
 * a pftabled-client datagram adds to a table, /metrics counts both, a
 * standalone {@code palisade iblock} bans into the daemon's table over the
 * control socket, and a bad palisade.conf on SIGHUP keeps the old services.
 *
 * <p>The daemon runs with the hidden {@code --no-host-allowlist}: the test's
 * peer is 127.0.0.1, which is otherwise never banned.
 */
class DaemonServicesTest {

    @TempDir
    Path tmp;
    final List<Process> children = new ArrayList<>();

    @AfterEach
    void cleanup() throws InterruptedException {
        for (Process p : children) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static int freeUdpPort() throws IOException {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    Process child(Path log, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.palisade.app.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        children.add(p);
        return p;
    }

    static void await(String what, Process p, Path log, BooleanSupplier cond) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cond.getAsBoolean()) {
            if (p != null && !p.isAlive()) fail(what + ": process exited with " + p.exitValue() + ":\n" + Files.readString(log));
            if (System.nanoTime() > deadline) fail(what + ": not within 30 s; log:\n" + Files.readString(log));
            LockSupport.parkNanos(20_000_000); // polls the condition, bounded by the deadline
        }
    }

    static boolean logHas(Path log, String s) {
        try {
            return Files.exists(log) && Files.readString(log).contains(s);
        } catch (IOException e) {
            return false;
        }
    }

    record Run(int rc, String out, String err) {}

    static Run palisade(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(o, true));
        cl.setErr(new PrintWriter(e, true));
        int rc = cl.execute(args);
        return new Run(rc, o.toString(), e.toString());
    }

    static String show(Path socket, String table) {
        return palisade("pfctl", "--socket", socket.toString(), "-t", table, "-T", "show").out();
    }

    static String metrics(int port) {
        try (HttpClient c = HttpClient.newHttpClient()) {
            return c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    static double metric(String text, String nameAndLabels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels) + " ([0-9.eE+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    static void connect(int port) throws IOException {
        try (Socket s = new Socket()) {
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            } catch (java.net.SocketException e) {
                // on loopback the trap's reset can beat the connect's completion check: the peer was accepted
                if (String.valueOf(e.getMessage()).contains("reset")) return;
                throw e;
            }
            s.setSoTimeout(5000);
            // the trap resets the connection at once: read until it does
            try {
                s.getInputStream().read();
            } catch (IOException reset) {
                // expected
            }
        }
    }

    @Test
    void daemonRunsTrapPftabledAndMetricsAndReloadsAtomically() throws Exception {
        int trap = freePort(), tabled = freeUdpPort(), metrics = freePort(), trap2 = freePort(), standalone = freePort();
        Path socket = tmp.resolve("p.sock");
        Path conf = tmp.resolve("palisade.conf");
        String good = """
                create-tables yes
                trap listen on 127.0.0.1 port %d table "iblocked"
                pftabled listen on 127.0.0.1 port %d table "remote"
                metrics listen on 127.0.0.1 port %d
                """.formatted(trap, tabled, metrics);
        Files.writeString(conf, good);
        Path log = tmp.resolve("palisaded.log");
        Process d = child(log, "daemon", "--no-host-allowlist", "-c", conf.toString(), "--state-dir", tmp.resolve("state").toString(),
                "--socket", socket.toString());
        await("palisaded ready", d, log, () -> logHas(log, "metrics: serving") && logHas(log, "pftabled: listening")
                && logHas(log, "trap listening on 127.0.0.1:" + trap));

        // a TCP connect to the trap port bans the peer
        connect(trap);
        await("trap ban", d, log, () -> show(socket, "iblocked").contains("127.0.0.1"));

        // a pftabled-client datagram adds to the table
        Run r = palisade("pftabled-client", "127.0.0.1", Integer.toString(tabled), "anything", "add", "198.51.100.7");
        assertEquals(0, r.rc(), r.err());
        await("pftabled add", d, log, () -> show(socket, "remote").contains("198.51.100.7"));

        // /metrics shows the counters
        await("metrics", d, log, () -> {
            String m = metrics(metrics);
            return metric(m, "palisade_trap_connections_total{listener=\"127.0.0.1:" + trap + "\"}") == 1
                    && metric(m, "palisade_bans_total{reason=\"trap\"}") == 1
                    && metric(m, "palisade_pftabled_datagrams_total{outcome=\"applied_added\"}") == 1
                    && metric(m, "palisade_table_entries{table=\"iblocked\"}") == 1
                    && metric(m, "palisade_table_entries{table=\"remote\"}") == 1;
        });

        // standalone iblock bans into the daemon's table over the control socket
        Path ilog = tmp.resolve("iblock.log");
        Process ib = child(ilog, "iblock", "-p", Integer.toString(standalone), "-l", "127.0.0.1", "-t", "standalone", "--create-table",
                "--socket", socket.toString());
        await("iblock listening", ib, ilog, () -> logHas(ilog, "trap listening on 127.0.0.1:" + standalone));
        connect(standalone);
        await("standalone ban", ib, ilog, () -> show(socket, "standalone").contains("127.0.0.1"));
        assertTrue(palisade("why", "--socket", socket.toString(), "127.0.0.1").out().contains("trap listener 127.0.0.1:" + standalone),
                "the origin travels over the control socket");

        // a bad palisade.conf on SIGHUP: errors reported, the old services keep running
        Files.writeString(conf, good + "trap listen on 127.0.0.1 port %d table \"second\"\ndivert 0 tripwire table \"x\"\n".formatted(trap2));
        new ProcessBuilder("kill", "-HUP", Long.toString(d.pid())).start().waitFor();
        await("bad reload reported", d, log, () -> logHas(log, "the running configuration is unchanged"));
        assertTrue(Files.readString(log).contains(conf + ":6: divert: divert port out of range: 0 (expected 1 to 65535)"),
                Files.readString(log));
        assertEquals(0, palisade("pfctl", "--socket", socket.toString(), "-t", "iblocked", "-T", "flush").rc());
        connect(trap);
        await("trap still bans after the bad reload", d, log, () -> show(socket, "iblocked").contains("127.0.0.1"));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", trap2), 2000);
            fail("the bad configuration's second trap listener must not run");
        } catch (IOException expected) {
            // refused: nothing listens there
        }

        // a good reload adds the second listener and leaves the first (and its counters) alone
        Files.writeString(conf, good + "trap listen on 127.0.0.1 port %d table \"second\"\n".formatted(trap2));
        new ProcessBuilder("kill", "-HUP", Long.toString(d.pid())).start().waitFor();
        await("good reload", d, log, () -> logHas(log, "reload: " + conf + " applied"));
        connect(trap2);
        await("second trap bans", d, log, () -> show(socket, "second").contains("127.0.0.1"));
        String m = metrics(metrics);
        assertEquals(2, metric(m, "palisade_trap_connections_total{listener=\"127.0.0.1:" + trap + "\"}"), m);
        assertEquals(1, Files.readString(log).split("trap listening on 127.0.0.1:" + trap + "\n", -1).length - 1,
                "the unchanged trap listener was started once");
    }

    @Test
    void aServiceThatCannotStartStopsTheDaemonWithOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Path conf = tmp.resolve("palisade.conf");
            Files.writeString(conf, "create-tables yes\ntrap listen on 127.0.0.1 port " + taken.getLocalPort() + "\n");
            Path log = tmp.resolve("d.log");
            Process d = child(log, "daemon", "-c", conf.toString(), "--state-dir", tmp.resolve("state").toString(),
                    "--socket", tmp.resolve("s.sock").toString());
            assertTrue(d.waitFor(60, TimeUnit.SECONDS), "palisaded must stop");
            assertEquals(1, d.exitValue());
            String out = Files.readString(log);
            assertTrue(out.contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), out);
            assertTrue(out.contains("not started"), out);
        }
    }

    @Test
    void aDiverterBlockItsProviderRefusesStopsTheDaemonWithFileAndLine() throws Exception {
        Path conf = tmp.resolve("palisade.conf");
        Files.writeString(conf, "# payload diverters\ndiverter \"nosuch\" port 7200 {\n}\ndiverter \"redact\" port 7201 {\n    pattern iban mask\n}\n");
        Path log = tmp.resolve("d.log");
        Process d = child(log, "daemon", "-c", conf.toString(), "--state-dir", tmp.resolve("state").toString(),
                "--socket", tmp.resolve("s.sock").toString());
        assertTrue(d.waitFor(60, TimeUnit.SECONDS), "palisaded must stop");
        assertEquals(1, d.exitValue());
        String out = Files.readString(log);
        assertTrue(out.contains(conf + ":2: diverter \"nosuch\": no diverter of this type"), out);
        assertTrue(out.contains(conf + ":5: "), "the redact block's bad pattern, with its line: " + out);
        assertTrue(out.contains("not started"), out);
    }

    @Test
    void standalonePftabledWritesTheRunningDaemonsTables() throws Exception {
        Path socket = tmp.resolve("p.sock");
        Path conf = tmp.resolve("palisade.conf");
        Files.writeString(conf, "# core only\n");
        Path log = tmp.resolve("palisaded.log");
        Process d = child(log, "daemon", "-c", conf.toString(), "--state-dir", tmp.resolve("state").toString(), "--socket", socket.toString());
        await("palisaded ready", d, log, () -> logHas(log, "listening on " + socket));
        int port = freeUdpPort();
        Path plog = tmp.resolve("pftabled.log");
        Process p = child(plog, "pftabled", "-a", "127.0.0.1", "-p", Integer.toString(port), "--create-tables", "--socket", socket.toString());
        await("pftabled listening", p, plog, () -> logHas(plog, "pftabled: listening on UDP"));
        Run r = palisade("pftabled-client", "127.0.0.1", Integer.toString(port), "spammers", "add", "203.0.113.9");
        assertEquals(0, r.rc(), r.err());
        await("added through the standalone pftabled", p, plog, () -> show(socket, "spammers").contains("203.0.113.9"));
        assertTrue(palisade("why", "--socket", socket.toString(), "203.0.113.9").out().contains("pftabled from 127.0.0.1"),
                "the origin names the datagram's sender");
        r = palisade("pftabled-client", "127.0.0.1", Integer.toString(port), "spammers", "del", "203.0.113.9");
        assertEquals(0, r.rc(), r.err());
        await("deleted through the standalone pftabled", p, plog, () -> !show(socket, "spammers").contains("203.0.113.9"));
    }
}
