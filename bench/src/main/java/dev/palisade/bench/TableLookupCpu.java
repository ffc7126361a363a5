package dev.palisade.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * {@link TableLookupBench}'s lookups (same table, same keys) timed in thread
 * CPU time rather than wall time, for a shared machine where the benchmark
 * thread is descheduled much of the time. Prints ns per lookup and the
 * lookups per second of CPU for IPv4, IPv6 and the 80/20 mix. Run:
 * {@code java -Xmx2g -cp bench/target/benchmarks.jar dev.palisade.bench.TableLookupCpu [prefixes]}.
 */
public final class TableLookupCpu {
    private TableLookupCpu() {}

    public static void main(String[] args) {
        TableLookupBench b = new TableLookupBench();
        b.size = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        b.setup();
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        int reps = 300;
        long sink = 0;
        for (int round = 0; round < 4; round++) {
            long t0 = tm.getCurrentThreadCpuTime();
            for (int i = 0; i < reps; i++) sink += b.lookupV4();
            long t1 = tm.getCurrentThreadCpuTime();
            for (int i = 0; i < reps; i++) sink += b.lookupV6();
            long t2 = tm.getCurrentThreadCpuTime();
            for (int i = 0; i < reps; i++) sink += b.lookupMixed();
            long t3 = tm.getCurrentThreadCpuTime();
            double ops = (double) reps * TableLookupBench.KEYS;
            System.out.printf("round %d, %d prefixes: IPv4 %.1f ns (%.1fM/s CPU), IPv6 %.1f ns (%.1fM/s), mixed %.1f ns (%.1fM/s)%n",
                    round, b.size, (t1 - t0) / ops, ops * 1e3 / (t1 - t0), (t2 - t1) / ops, ops * 1e3 / (t2 - t1),
                    (t3 - t2) / ops, ops * 1e3 / (t3 - t2));
        }
        if (sink == 42) System.out.println();
    }
}
