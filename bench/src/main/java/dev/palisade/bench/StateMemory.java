package dev.palisade.bench;

import dev.palisade.core.state.StateTable;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Heap taken by N established TCP states (default 1,000,000), measured as
 * used heap after GC with the table alive minus before it existed. Target:
 * 1M states in at most 300 MB. Run:
 * {@code java -Xmx2g -cp bench/target/benchmarks.jar dev.palisade.bench.StateMemory [N]}.
 */
public final class StateMemory {
    private StateMemory() {}

    static long usedAfterGc(MemoryMXBean m) throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            best = Math.min(best, m.getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        MemoryMXBean m = ManagementFactory.getMemoryMXBean();
        long before = usedAfterGc(m);
        long t0 = System.nanoTime();
        StateTable table = StateLookupBench.newTable(n);
        StateLookupBench.establish(table, n);
        long t1 = System.nanoTime();
        long after = usedAfterGc(m);
        double mb = (after - before) / (1024.0 * 1024.0);
        System.out.printf("states: %d%nheap for the table: %.1f MiB (%.0f bytes per state)%nsetup (3 packets per connection): %.2f s%n",
                table.size(), mb, (after - before) / (double) table.size(), (t1 - t0) / 1e9);
        if (table.size() != n) throw new IllegalStateException("expected " + n + " states, have " + table.size());
    }
}
