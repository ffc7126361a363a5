package dev.palisade.services.tabled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.tabled.RejectReason;
import dev.palisade.core.tabled.TableCommand;
import dev.palisade.core.tabled.TabledApplier;
import dev.palisade.core.tabled.TabledConfig;
import dev.palisade.core.tabled.TabledKeys;
import dev.palisade.core.table.Origin;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end over real UDP on loopback: {@link TabledClient} sends, {@link TabledServer} applies to a {@link ConcurrentTables}. */
class TabledServerTest {

    @TempDir
    Path dir;

    TabledServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    TabledKeys keys() throws Exception {
        Path key = dir.resolve("pftabled.key");
        byte[] k = new byte[32];
        new Random(7).nextBytes(k);
        Files.write(key, k);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return TabledKeyFile.load(key);
    }

    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after 10 s waiting for: " + what);
            Thread.onSpinWait();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    static boolean hasIpv6Loopback() throws IOException {
        NetworkInterface lo = NetworkInterface.getByInetAddress(InetAddress.getLoopbackAddress());
        return lo != null && lo.inetAddresses().anyMatch(a -> a.getHostAddress().startsWith("0:0:0:0:0:0:0:1"));
    }

    InetSocketAddress to(String host) {
        return new InetSocketAddress(host, server.localAddress().getPort());
    }

    @Test
    void version2And3OverIpv4AndIpv6OnOneDualStackSocket() throws Exception {
        assumeTrue(hasIpv6Loopback(), "no ::1 on the loopback interface: IPv6 part skipped");
        ConcurrentTables tables = new ConcurrentTables().with("spammer", "v6");
        Instant t0 = Instant.now();
        TabledKeys keys = keys();
        server = TabledServer.start(TabledConfig.defaults(keys).withDefaultLifetime(600),
                TabledServer.Settings.of(0), tables, Clock.fixed(t0, ZoneOffset.UTC));

        TabledClient.send(to("127.0.0.1"), TabledClient.datagram(TableCommand.add("spammer", IpPrefix.parse("10.1.2.3/24")), 2, keys, now()));
        await(() -> tables.entry("spammer", "10.1.2.0/24") != null, "v2 over IPv4: 10.1.2.0/24 in <spammer>");
        ConcurrentTables.Entry e = tables.entry("spammer", "10.1.2.0/24");
        assertEquals(new Origin.Pftabled("127.0.0.1"), e.origin());
        assertEquals(t0.plusSeconds(600), e.expires(), "-t 600 from the server's clock");

        TabledClient.send(to("::1"), TabledClient.datagram(TableCommand.add("spammer", IpPrefix.parse("10.4.4.4")), 2, keys, now()));
        await(() -> tables.entry("spammer", "10.4.4.4") != null, "v2 over IPv6");
        assertEquals(new Origin.Pftabled("::1"), tables.entry("spammer", "10.4.4.4").origin());

        TabledClient.send(to("::1"), TabledClient.datagram(
                TableCommand.add("v6", IpPrefix.parse("2001:db8:5::/48")).withLifetime(30), 3, keys, now()));
        await(() -> tables.entry("v6", "2001:db8:5::/48") != null, "v3 IPv6 prefix over IPv6");
        assertEquals(t0.plusSeconds(30), tables.entry("v6", "2001:db8:5::/48").expires(), "the datagram's own lifetime");

        TabledClient.send(to("127.0.0.1"), TabledClient.datagram(TableCommand.add("v6", IpPrefix.parse("192.0.2.9")), 3, keys, now()));
        await(() -> tables.entry("v6", "192.0.2.9") != null, "v3 IPv4 address over IPv4");

        TabledClient.send(to("127.0.0.1"), TabledClient.datagram(TableCommand.delete("spammer", IpPrefix.parse("10.1.2.0/24")), 2, keys, now()));
        await(() -> tables.entry("spammer", "10.1.2.0/24") == null, "v2 delete");
        TabledClient.send(to("::1"), TabledClient.datagram(TableCommand.flush("v6"), 3, keys, now()));
        await(() -> tables.size("v6") == 0, "v3 flush");
        assertEquals(1, tables.size("spammer"));
        assertEquals(0, server.counters().rejectedTotal(), server.counters().toString());
        assertEquals(0, server.counters().internalErrors());
    }

    @Test
    void ipv4OnlyAndIpv6OnlySockets() throws Exception {
        ConcurrentTables tables = new ConcurrentTables().with("t");
        TabledKeys keys = keys();
        server = TabledServer.start(TabledConfig.defaults(keys),
                TabledServer.Settings.of(0).withBind(new InetSocketAddress("127.0.0.1", 0)).withLanes(0), tables, Clock.systemUTC());
        TabledClient.send(to("127.0.0.1"), TabledClient.datagram(TableCommand.add("t", IpPrefix.parse("10.0.0.1")), 2, keys, now()));
        await(() -> tables.entry("t", "10.0.0.1") != null, "v2 on an IPv4-only socket");
        server.close();
        assumeTrue(hasIpv6Loopback(), "no ::1 on the loopback interface: IPv6 part skipped");
        server = TabledServer.start(TabledConfig.defaults(keys),
                TabledServer.Settings.of(0).withBind(new InetSocketAddress("::1", 0)), tables, Clock.systemUTC());
        TabledClient.send(to("::1"), TabledClient.datagram(TableCommand.add("t", IpPrefix.parse("2001:db8::99")), 3, keys, now()));
        await(() -> tables.entry("t", "2001:db8::99") != null, "v3 on an IPv6-only socket");
    }

    @Test
    void refusalsAreCountedAndNothingChanges() throws Exception {
        ConcurrentTables tables = new ConcurrentTables().with("spammer");
        tables.allowlist.add(IpPrefix.parse("10.99.0.0/16"));
        TabledKeys keys = keys();
        server = TabledServer.start(TabledConfig.defaults(keys), TabledServer.Settings.of(0).withBind(new InetSocketAddress("127.0.0.1", 0)),
                tables, Clock.systemUTC());
        byte[] forged = TabledClient.datagram(TableCommand.add("spammer", IpPrefix.parse("10.0.0.66")), 2, keys, now());
        forged[47] ^= 1;
        TabledClient.send(to("127.0.0.1"), forged);
        TabledClient.send(to("127.0.0.1"), TabledClient.datagram(TableCommand.add("nosuch", IpPrefix.parse("10.0.0.67")), 2, keys, now()));
        TabledClient.send(to("127.0.0.1"), TabledClient.datagram(TableCommand.add("spammer", IpPrefix.parse("10.99.1.1")), 2, keys, now()));
        byte[] once = TabledClient.datagram(TableCommand.add("spammer", IpPrefix.parse("10.0.0.68")), 2, keys, now());
        TabledClient.send(to("127.0.0.1"), once);
        TabledClient.send(to("127.0.0.1"), once);
        TabledClient.send(to("127.0.0.1"), TabledClient.datagram(TableCommand.add("spammer", IpPrefix.parse("10.0.0.69")), 2, keys, now() - 3600));
        TabledCounters c = server.counters();
        await(() -> c.received() == 6 && c.rejectedTotal() + c.appliedTotal() == 6, "six datagrams handled, got " + c);
        assertEquals(1, c.rejected(RejectReason.BAD_MAC));
        assertEquals(1, c.rejected(RejectReason.UNKNOWN_TABLE));
        assertEquals(1, c.rejected(RejectReason.ALLOWLISTED));
        assertEquals(1, c.rejected(RejectReason.REPLAYED));
        assertEquals(1, c.rejected(RejectReason.STALE));
        assertEquals(1, c.applied(TabledApplier.Effect.ADDED));
        assertEquals(1, tables.size("spammer"));
        assertNotNull(tables.entry("spammer", "10.0.0.68"));
        assertNull(tables.tables.get("nosuch"));
    }

    @Test
    void createTablesAndForcedTable() throws Exception {
        ConcurrentTables tables = new ConcurrentTables();
        TabledKeys keys = keys();
        server = TabledServer.start(TabledConfig.defaults(keys).withForcedTable("forced"),
                TabledServer.Settings.of(0).withBind(new InetSocketAddress("127.0.0.1", 0)).withCreateTables(true), tables, Clock.systemUTC());
        TabledClient.send(to("127.0.0.1"), TabledClient.datagram(TableCommand.add("ignored", IpPrefix.parse("10.7.7.7")), 2, keys, now()));
        await(() -> tables.entry("forced", "10.7.7.7") != null, "created <forced> with 10.7.7.7");
        assertNull(tables.tables.get("ignored"));
    }

    @Test
    void withoutAKeyTheMacIsNotChecked() throws Exception {
        ConcurrentTables tables = new ConcurrentTables().with("t");
        server = TabledServer.start(TabledConfig.defaults(TabledKeys.NONE),
                TabledServer.Settings.of(0).withBind(new InetSocketAddress("127.0.0.1", 0)), tables, Clock.systemUTC());
        TabledClient.send(to("127.0.0.1"), TabledClient.datagram(TableCommand.add("t", IpPrefix.parse("10.0.0.5")), 2, TabledKeys.NONE, now()));
        await(() -> tables.entry("t", "10.0.0.5") != null, "unsigned v2 applied");
        assertThrows(IllegalArgumentException.class,
                () -> TabledClient.datagram(TableCommand.add("t", IpPrefix.parse("10.0.0.5")), 3, TabledKeys.NONE, now()));
    }

    @Test
    void survivesAStreamOfRandomDatagramsThenAppliesAValidOne() throws Exception {
        ConcurrentTables tables = new ConcurrentTables().with("spammer");
        TabledKeys keys = keys();
        server = TabledServer.start(TabledConfig.defaults(keys).withRate(0, 0),
                TabledServer.Settings.of(0).withBind(new InetSocketAddress("127.0.0.1", 0)), tables, Clock.systemUTC());
        Random r = new Random(1234);
        int sent = 0;
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(to("127.0.0.1"));
            for (int i = 0; i < 20_000; i++) {
                int size = switch (r.nextInt(4)) {
                    case 0 -> 64;
                    case 1 -> 112;
                    case 2 -> r.nextInt(200);
                    default -> r.nextInt(1500);
                };
                byte[] d = new byte[size];
                r.nextBytes(d);
                if (size > 0 && r.nextBoolean()) d[0] = (byte) r.nextInt(4); // get past the version check
                if (size == 64 && r.nextBoolean()) { // a plausible timestamp, so the MAC is what fails
                    ByteBuffer.wrap(d, 40, 4).putInt((int) now());
                }
                ch.write(ByteBuffer.wrap(d));
                sent++;
                if (sent % 500 == 0) {
                    int s = sent;
                    await(() -> server.counters().received() >= s * 9L / 10, "the server to keep up");
                }
            }
        }
        // the valid one may be dropped by a full socket buffer: resend until it lands
        TabledCounters c = server.counters();
        await(() -> {
            try {
                TabledClient.send(to("127.0.0.1"), TabledClient.datagram(TableCommand.add("spammer", IpPrefix.parse("10.200.0.1")), 2, keys, now()));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return server.awaitIdle(1000) && tables.entry("spammer", "10.200.0.1") != null;
        }, "a valid datagram applied after the noise");
        assertEquals(0, c.internalErrors());
        assertEquals(1, c.applied(TabledApplier.Effect.ADDED), c.toString());
        assertEquals(1, tables.size("spammer"));
        assertTrue(c.received() >= sent * 9L / 10, c.toString());
        assertTrue(c.rejected(RejectReason.BAD_MAC) > 1000, c.toString());
        assertTrue(c.rejected(RejectReason.WRONG_SIZE) > 1000, c.toString());
    }

    @Test
    void commandsOnOneEntryKeepTheirOrderAndFlushIsABarrier() throws Exception {
        ConcurrentTables tables = new ConcurrentTables().with("t");
        TabledKeys keys = keys();
        server = TabledServer.start(TabledConfig.defaults(keys).withRate(0, 0),
                TabledServer.Settings.of(0).withBind(new InetSocketAddress("127.0.0.1", 0)), tables, Clock.systemUTC());
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(to("127.0.0.1"));
            for (int i = 0; i < 300; i++) { // many entries, each added then deleted: lanes run in parallel
                IpPrefix p = IpPrefix.parse("10.5." + (i % 50) + ".0/24");
                ch.write(ByteBuffer.wrap(TabledClient.datagram(TableCommand.add("t", p), 3, keys, now())));
                ch.write(ByteBuffer.wrap(TabledClient.datagram(TableCommand.delete("t", p), 3, keys, now())));
            }
            ch.write(ByteBuffer.wrap(TabledClient.datagram(TableCommand.add("t", IpPrefix.parse("10.6.0.1")), 3, keys, now())));
            ch.write(ByteBuffer.wrap(TabledClient.datagram(TableCommand.flush("t"), 3, keys, now())));
            ch.write(ByteBuffer.wrap(TabledClient.datagram(TableCommand.add("t", IpPrefix.parse("10.7.0.1")), 3, keys, now())));
        }
        TabledCounters c = server.counters();
        await(() -> c.received() == 603 && c.appliedTotal() + c.rejectedTotal() == 603 && server.awaitIdle(1000),
                "603 datagrams handled, got " + c);
        assertEquals(0, c.rejectedTotal(), c.toString());
        assertEquals(1, tables.size("t"), "only the add after the flush is left: " + tables.tables);
        assertNotNull(tables.entry("t", "10.7.0.1"));
    }
}
