package dev.palisade.services.tabled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.core.tabled.TabledConfig;
import dev.palisade.core.tabled.TabledKeys;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pftabled's own C client (1.09) against our server. Runs when
 * {@code PFTABLED_CLIENT} names a built {@code pftabled-client} binary
 * (build it from pftabled 1.09's sources: {@code cc -o pftabled-client
 * pftabled-client.c hmac.c sha1.c} with a config.h); skipped otherwise.
 */
class CClientInteropTest {

    @TempDir
    Path dir;

    @Test
    void theCClientsDatagramsAreApplied() throws Exception {
        String bin = System.getenv("PFTABLED_CLIENT");
        assumeTrue(bin != null && Files.isExecutable(Path.of(bin)), "PFTABLED_CLIENT not set to pftabled-client 1.09: interop test skipped");
        Path key = dir.resolve("key");
        byte[] k = new byte[32];
        new Random(3).nextBytes(k);
        Files.write(key, k);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        TabledKeys keys = TabledKeyFile.load(key);
        ConcurrentTables tables = new ConcurrentTables().with("spammer");
        try (TabledServer server = TabledServer.start(TabledConfig.defaults(keys),
                TabledServer.Settings.of(0).withBind(new InetSocketAddress("127.0.0.1", 0)), tables, Clock.systemUTC())) {
            String port = Integer.toString(server.localAddress().getPort());
            run(bin, "-k", key.toString(), "127.0.0.1", port, "spammer", "add", "10.1.2.3/24");
            run(bin, "-k", key.toString(), "127.0.0.1", port, "spammer", "add", "192.0.2.77");
            TabledServerTest.await(() -> tables.size("spammer") == 2, "two entries from the C client, got " + tables.tables);
            assertNotNull(tables.entry("spammer", "10.1.2.0/24"), "host bits cleared");
            assertNotNull(tables.entry("spammer", "192.0.2.77"));
            run(bin, "-k", key.toString(), "127.0.0.1", port, "spammer", "del", "192.0.2.77");
            TabledServerTest.await(() -> tables.size("spammer") == 1, "delete from the C client");
            run(bin, "-k", key.toString(), "127.0.0.1", port, "spammer", "flush");
            TabledServerTest.await(() -> tables.size("spammer") == 0, "flush from the C client");
            assertEquals(0, server.counters().rejectedTotal(), server.counters().toString());
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(List.of(cmd)).inheritIO().start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pftabled-client did not finish: " + List.of(cmd));
        }
        assertEquals(0, p.exitValue(), "exit status of " + List.of(cmd));
    }
}
