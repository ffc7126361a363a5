package dev.palisade.services.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableCommand;
import dev.palisade.core.table.TableEntry;
import dev.palisade.core.table.TableFlags;
import dev.palisade.core.table.TableSet;
import dev.palisade.core.table.Tables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableStoreTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        long second;

        ManualClock(long second) {
            this.second = second;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochSecond(second);
        }
    }

    @TempDir
    Path dir;

    private static final long T = 1_800_000_000L;

    private DurableTables open(ManualClock clock) throws IOException {
        TableSet set = new TableSet(clock, Allowlist.of(List.of(), List.of(IpPrefix.parse("198.51.100.0/24"))));
        return new DurableTables(set, TableStore.open(dir, set, clock.instant().getEpochSecond()));
    }

    @Test
    void expiryIsExactToTheSecondAcrossRestarts() throws IOException {
        ManualClock clock = new ManualClock(T);
        DurableTables t = open(clock);
        t.write(s -> s.create("bad", TableFlags.PERSIST));
        assertEquals(Tables.AddOutcome.ADDED, t.add("bad", IpPrefix.parse("192.0.2.1"), Instant.ofEpochSecond(T + 10), new Origin.Tripwire(22)));
        assertEquals(Tables.AddOutcome.ADDED, t.add("bad", IpPrefix.parse("2001:db8::/48"), null, new Origin.Trap("[::]:23")));
        t.store().close();

        clock.second = T + 9;
        t = open(clock);
        assertTrue(t.matches("bad", IpAddress.parse("192.0.2.1")), "still there one second before expiry");
        clock.second = T + 9;
        assertEquals(0, t.write(s -> s.expire(T + 9)).size());
        assertEquals(1, t.write(s -> s.expire(T + 10)).size(), "gone at the second it expires");
        assertFalse(t.matches("bad", IpAddress.parse("192.0.2.1")));
        t.store().close();

        clock.second = T + 10;
        t = open(clock);
        assertFalse(t.matches("bad", IpAddress.parse("192.0.2.1")), "expired entry not loaded after a restart at its expiry second");
        TableEntry e = t.read(s -> s.table("bad").entry(IpPrefix.parse("2001:db8::/48")));
        assertNotNull(e);
        assertEquals(new Origin.Trap("[::]:23"), e.origin());
        assertEquals(T, e.cleared());
        t.store().close();
    }

    @Test
    void allowlistRefusesAutomaticOriginsOnly() throws IOException {
        DurableTables t = open(new ManualClock(T));
        t.write(s -> s.create("bad", TableFlags.PERSIST));
        assertEquals(Tables.AddOutcome.REFUSED_ALLOWLIST, t.add("bad", IpPrefix.parse("127.0.0.1"), null, new Origin.Tripwire(22)));
        assertEquals(Tables.AddOutcome.REFUSED_ALLOWLIST, t.add("bad", IpPrefix.parse("198.51.100.7"), null, new Origin.Pftabled("peer")));
        assertEquals(Tables.AddOutcome.REFUSED_ALLOWLIST, t.add("bad", IpPrefix.parse("198.0.0.0/8"), null, new Origin.Overload("r1")));
        assertEquals(3, t.refusedCount());
        assertFalse(t.matches("bad", IpAddress.parse("127.0.0.1")));
        var res = t.write(s -> s.run(new TableCommand("bad", TableCommand.Op.ADD, List.of("127.0.0.1"), false, false, 0, null)));
        assertTrue(res.err().stream().anyMatch(l -> l.contains("warning") && l.contains("allowlist")), res.err().toString());
        assertTrue(t.matches("bad", IpAddress.parse("127.0.0.1")), "a manual add of an allowlisted address works");
        t.store().close();
    }

    @Test
    void tornJournalTailIsDroppedAndEverythingBeforeItKept() throws IOException {
        ManualClock clock = new ManualClock(T);
        DurableTables t = open(clock);
        t.write(s -> s.create("t", TableFlags.PERSIST));
        for (int i = 0; i < 100; i++) t.add("t", new IpPrefix(IpAddress.ofV4(0x0a000000 + i), 32), null, new Origin.Manual("x"));
        t.store().close();
        Path j = dir.resolve(TableStore.JOURNAL);
        long good = Files.size(j);
        Files.write(j, new byte[] {0, 0, 0, 40, 1, 2, 3, 4, 5, 6}, StandardOpenOption.APPEND); // a frame cut short
        t = open(clock);
        assertEquals(100, (int) t.read(s -> s.table("t").size()));
        assertEquals(10, t.store().loadStats().truncatedBytes());
        assertEquals(good, Files.size(j));
        t.add("t", IpPrefix.parse("10.1.0.0/16"), null, new Origin.Manual("x"));
        t.store().close();
        t = open(clock);
        assertEquals(101, (int) t.read(s -> s.table("t").size()), "appends after the truncation are readable");
        t.store().close();
    }

    @Test
    void preallocatedZerosAfterACrashAreNotATornTail() throws IOException {
        ManualClock clock = new ManualClock(T);
        DurableTables t = open(clock);
        t.write(s -> s.create("t", TableFlags.PERSIST));
        for (int i = 0; i < 50; i++) t.add("t", new IpPrefix(IpAddress.ofV4(0x0a000000 + i), 32), null, new Origin.Manual("x"));
        Path j = dir.resolve(TableStore.JOURNAL);
        long logical = t.store().journalBytes();
        assertTrue(Files.size(j) >= logical + 1, "the journal runs ahead with zeros: " + Files.size(j) + " vs " + logical);
        // no close: as after kill -9, the zeros stay
        DurableTables r = open(clock);
        assertEquals(50, (int) r.read(s -> s.table("t").size()));
        assertEquals(0, r.store().loadStats().truncatedBytes(), "zeros are the preallocation, not damage");
        r.add("t", IpPrefix.parse("10.1.0.0/16"), null, new Origin.Manual("x"));
        // crash again, with a torn frame written over the zeros
        long end = r.store().journalBytes();
        try (var ch = java.nio.channels.FileChannel.open(j, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {0, 0, 0, 40, 1, 2, 3}), end);
        }
        DurableTables r2 = open(clock);
        assertEquals(51, (int) r2.read(s -> s.table("t").size()));
        assertEquals(7, r2.store().loadStats().truncatedBytes());
        r2.store().close();
        assertEquals(end, Files.size(j), "a clean close trims the zeros");
        t.store().close();
    }

    @Test
    void snapshotThenJournalReplaysEverythingAndConcurrentAddersAllLand() throws Exception {
        ManualClock clock = new ManualClock(T);
        DurableTables t = open(clock);
        t.write(s -> s.create("t", TableFlags.PERSIST));
        for (int i = 0; i < 1000; i++) t.add("t", new IpPrefix(IpAddress.ofV4(0x0b000000 + i), 32), null, new Origin.Dnsbl("zen", "127.0.0.2"));
        t.delete("t", IpPrefix.parse("11.0.0.5"));
        t.compact();
        assertEquals(0, Files.size(dir.resolve(TableStore.JOURNAL)));
        ConcurrentLinkedQueue<IpPrefix> acked = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            int base = 0x0c000000 + (k << 16);
            DurableTables tt = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 200; i++) {
                    IpPrefix p = new IpPrefix(IpAddress.ofV4(base + i), 32);
                    tt.add("t", p, null, new Origin.Manual("c"));
                    acked.add(p);
                }
            }));
        }
        for (Thread th : threads) th.join();
        t.store().close();
        t = open(clock);
        DurableTables r = t;
        assertEquals(999 + 1600, (int) r.read(s -> s.table("t").size()));
        for (IpPrefix p : acked) assertTrue(r.matches("t", p.address()), "acknowledged " + p + " lost");
        assertNull(r.read(s -> s.table("t").entry(IpPrefix.parse("11.0.0.5"))), "deleted before the snapshot stays deleted");
        assertEquals(new Origin.Dnsbl("zen", "127.0.0.2"), r.read(s -> s.table("t").entry(IpPrefix.parse("11.0.0.6")).origin()));
        t.store().close();
    }
}
