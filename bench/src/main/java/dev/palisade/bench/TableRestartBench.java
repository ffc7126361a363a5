package dev.palisade.bench;

import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableFlags;
import dev.palisade.core.table.TableSet;
import dev.palisade.services.store.DurableTables;
import dev.palisade.services.store.TableStore;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * Restart and memory at {@code N} entries (default 1M, {@link TableData}'s
 * mix, every entry with an origin and half with an expiry): fills a store,
 * then measures (1) loading it from the journal alone, (2) after compaction
 * from the snapshot, and (3) the heap the loaded tables use (after GC).
 * Targets: loaded in 3 s, 1M entries in 150 MB of heap. Leaves the state
 * directory for the end-to-end script (bench/scripts/tables-e2e.sh).
 * Run: {@code java -Xmx1g -cp bench/target/benchmarks.jar dev.palisade.bench.TableRestartBench DIR [N]}.
 */
public final class TableRestartBench {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/palisade-restart-bench");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        if (Files.exists(dir.resolve(TableStore.SNAPSHOT))) Files.delete(dir.resolve(TableStore.SNAPSHOT));
        if (Files.exists(dir.resolve(TableStore.JOURNAL))) Files.delete(dir.resolve(TableStore.JOURNAL));
        long now = System.currentTimeMillis() / 1000;
        IpAddressHolder.first = fill(dir, n, now);
        System.out.printf("journal %d MB%n", Files.size(dir.resolve(TableStore.JOURNAL)) >> 20);
        load(dir, now, "journal only");
        {
            TableSet set = new TableSet(Clock.systemUTC(), Allowlist.EMPTY);
            DurableTables t = new DurableTables(set, TableStore.open(dir, set, now));
            long t0 = System.nanoTime();
            t.compact();
            System.out.printf("compacted into a %d MB snapshot in %d ms%n", Files.size(dir.resolve(TableStore.SNAPSHOT)) >> 20, (System.nanoTime() - t0) / 1_000_000);
            t.store().close();
        }
        TableSet loaded = load(dir, now, "snapshot");
        System.gc();
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf("heap used with %d entries loaded: %d MB%n", loaded.entryCount(), heap >> 20);
        System.out.println("first entry matches: " + loaded.matches("big", IpAddressHolder.first));
        if (System.getenv("HISTO") != null) {
            new ProcessBuilder("jcmd", Long.toString(ProcessHandle.current().pid()), "GC.class_histogram").inheritIO().start().waitFor();
        }
    }

    static final class IpAddressHolder {
        static dev.palisade.core.net.IpAddress first;
    }

    private static dev.palisade.core.net.IpAddress fill(Path dir, int n, long now) throws Exception {
        List<IpPrefix> ps = TableData.prefixes(n, 42);
        TableSet set = new TableSet(Clock.systemUTC(), Allowlist.EMPTY);
        DurableTables t = new DurableTables(set, TableStore.open(dir, set, now));
        long t0 = System.nanoTime();
        t.write(s -> {
            s.create("big", TableFlags.PERSIST);
            Origin[] origins = {new Origin.Tripwire(22), new Origin.Trap("0.0.0.0:23"), new Origin.Dnsbl("zen.spamhaus.org", "127.0.0.2")};
            for (int i = 0; i < ps.size(); i++) {
                s.add("big", ps.get(i), i % 2 == 0 ? java.time.Instant.ofEpochSecond(now + 86400 + i) : null, origins[i % 3]);
            }
            return null;
        });
        System.out.printf("filled %d entries (one durable batch) in %d ms%n", set.entryCount(), (System.nanoTime() - t0) / 1_000_000);
        t.store().close();
        return ps.get(0).address();
    }

    private static TableSet load(Path dir, long now, String what) throws Exception {
        System.gc();
        var threads = ManagementFactory.getThreadMXBean();
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        TableSet set = new TableSet(Clock.systemUTC(), Allowlist.EMPTY);
        TableStore st = TableStore.open(dir, set, now);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long cpu = (threads.getCurrentThreadCpuTime() - c0) / 1_000_000;
        System.out.printf("load (%s): %d entries in %d ms wall, %d ms CPU of the loading thread (store says %d ms)%n",
                what, set.entryCount(), ms, cpu, st.loadStats().millis());
        st.close();
        return set;
    }
}
