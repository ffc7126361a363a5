package dev.palisade.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.app.Main;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import dev.palisade.services.tabled.TabledServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The two commands through picocli: arguments, errors, and client to server over loopback UDP. */
class PftabledCommandTest {

    @TempDir
    Path dir;

    /** A minimal thread-safe Tables: table name to prefix to expiry. */
    static final class TestTables implements Tables {
        final Map<String, Map<IpPrefix, Instant>> t = new ConcurrentHashMap<>();

        public AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin) {
            Map<IpPrefix, Instant> m = t.get(table);
            if (m == null) return AddOutcome.NO_SUCH_TABLE;
            return m.put(prefix, expires == null ? Instant.MAX : expires) == null ? AddOutcome.ADDED : AddOutcome.REFRESHED;
        }

        public boolean delete(String table, IpPrefix prefix) {
            Map<IpPrefix, Instant> m = t.get(table);
            return m != null && m.remove(prefix) != null;
        }

        public int flush(String table) {
            Map<IpPrefix, Instant> m = t.get(table);
            int n = m == null ? 0 : m.size();
            if (m != null) m.clear();
            return n;
        }

        public boolean exists(String table) {
            return t.containsKey(table);
        }

        public boolean create(String table) {
            return t.putIfAbsent(table, new ConcurrentHashMap<>()) == null;
        }

        public boolean matches(String table, IpAddress address) {
            Map<IpPrefix, Instant> m = t.get(table);
            return m != null && m.keySet().stream().anyMatch(p -> p.contains(address));
        }
    }

    record Run(int status, String err) {}

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Run(status, err.toString());
    }

    Path key(int bytes, String perms) throws Exception {
        Path p = dir.resolve("key-" + bytes + "-" + perms);
        byte[] k = new byte[bytes];
        for (int i = 0; i < bytes; i++) k[i] = (byte) (i * 7 + 3);
        Files.write(p, k);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        return p;
    }

    static void await(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    @Test
    void clientErrorsExit1WithTheCClientsMessages() throws Exception {
        Run few = run("pftabled-client", "localhost", "56789", "spammer");
        assertEquals(1, few.status());
        assertTrue(few.err().contains("HOST PORT TABLE"), few.err());
        Run cmd = run("pftabled-client", "127.0.0.1", "56789", "spammer", "ban", "10.0.0.1");
        assertEquals(1, cmd.status());
        assertTrue(cmd.err().contains("Unknown command 'ban'"), cmd.err());
        Run mask = run("pftabled-client", "127.0.0.1", "56789", "spammer", "add", "10.0.0.1/33");
        assertEquals(1, mask.status());
        assertTrue(mask.err().contains("Invalid network mask '/33'"), mask.err());
        Run mask0 = run("pftabled-client", "127.0.0.1", "56789", "spammer", "add", "10.0.0.1/0");
        assertTrue(mask0.err().contains("Invalid network mask '/0'"), mask0.err());
        Run ip = run("pftabled-client", "127.0.0.1", "56789", "spammer", "add", "10.0.0.256");
        assertTrue(ip.err().contains("Unable to parse '10.0.0.256'"), ip.err());
        Run v6 = run("pftabled-client", "127.0.0.1", "56789", "spammer", "add", "2001:db8::1");
        assertTrue(v6.err().contains("use -3"), v6.err());
        Run v3NoKey = run("pftabled-client", "-3", "127.0.0.1", "56789", "spammer", "add", "2001:db8::1");
        assertTrue(v3NoKey.err().contains("-3 needs a key file"), v3NoKey.err());
        Run v3ShortKey = run("pftabled-client", "-3", "-k", key(20, "rw-------").toString(), "127.0.0.1", "56789", "spammer", "add", "10.0.0.1");
        assertTrue(v3ShortKey.err().contains("at least 32 bytes"), v3ShortKey.err());
        Run longName = run("pftabled-client", "127.0.0.1", "56789", "t".repeat(32), "flush");
        assertTrue(longName.err().contains("too long"), longName.err());
        Run open = run("pftabled-client", "-k", key(32, "rw-r--r--").toString(), "127.0.0.1", "56789", "spammer", "flush");
        assertTrue(open.err().contains("too open"), open.err());
    }

    @Test
    void serverRefusesToStartWithoutPalisadedsTables() {
        Run r = run("pftabled", "-p", "0", "-a", "127.0.0.1", "--socket", "/nonexistent/palisaded.sock");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("cannot reach palisaded's tables at /nonexistent/palisaded.sock: palisaded is not running"), r.err());
        Run badAddr = run("pftabled", "-a", "example.org");
        assertEquals(1, badAddr.status());
        assertTrue(badAddr.err().contains("invalid bind address -a \"example.org\""), badAddr.err());
    }

    @Test
    void serverRefusesAnOpenKeyFile() throws Exception {
        Run r = run("pftabled", "-k", key(32, "rw-r-----").toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("too open") && r.err().contains("chmod 600"), r.err());
    }

    @Test
    void clientAndServerInteroperateOverLoopback() throws Exception {
        TestTables tables = new TestTables();
        tables.create("spammer");
        Path key = key(32, "rw-------");
        PftabledCommand cmd = new PftabledCommand();
        new CommandLine(cmd).parseArgs("-v", "-a", "127.0.0.1", "-p", "0", "-k", key.toString(), "-t", "3600");
        cmd.connector = () -> tables;
        Instant t0 = Instant.now();
        try (TabledServer server = cmd.start(Clock.fixed(t0, java.time.ZoneOffset.UTC))) {
            String port = Integer.toString(server.localAddress().getPort());
            assertEquals(0, run("pftabled-client", "-k", key.toString(), "127.0.0.1", port, "spammer", "add", "10.1.2.3/24").status());
            await(() -> tables.matches("spammer", IpAddress.parse("10.1.2.200")), "10.1.2.0/24 added by a version 2 datagram");
            assertEquals(t0.plusSeconds(3600), tables.t.get("spammer").get(IpPrefix.parse("10.1.2.0/24")));
            assertEquals(0, run("pftabled-client", "-3", "-k", key.toString(), "-l", "60", "localhost", port, "spammer", "add", "192.0.2.1").status());
            await(() -> tables.matches("spammer", IpAddress.parse("192.0.2.1")), "192.0.2.1 added by a version 3 datagram");
            assertEquals(t0.plusSeconds(60), tables.t.get("spammer").get(IpPrefix.parse("192.0.2.1")));
            assertEquals(0, run("pftabled-client", "-k", key.toString(), "127.0.0.1", port, "spammer", "del", "10.1.2.0/24").status());
            await(() -> !tables.matches("spammer", IpAddress.parse("10.1.2.200")), "10.1.2.0/24 deleted");
            assertEquals(0, run("pftabled-client", "-3", "-k", key.toString(), "127.0.0.1", port, "spammer", "flush").status());
            await(() -> tables.t.get("spammer").isEmpty(), "spammer flushed");
            assertEquals(0, server.counters().rejectedTotal(), server.counters().toString());
        }
    }
}
