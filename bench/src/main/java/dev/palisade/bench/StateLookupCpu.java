package dev.palisade.bench;

import dev.palisade.core.packet.Packet;
import dev.palisade.core.state.StateTable;
import dev.palisade.core.state.StateVerdict;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * The state lookup of {@link StateLookupBench} timed in thread CPU time
 * rather than wall time, for a shared machine where the benchmark thread is
 * descheduled most of the time (wall-clock JMH figures there measure the
 * load, not the code). Run:
 * {@code java -Xmx2g -cp bench/target/benchmarks.jar dev.palisade.bench.StateLookupCpu [states]}.
 */
public final class StateLookupCpu {
    private StateLookupCpu() {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        StateTable table = StateLookupBench.newTable(n);
        StateLookupBench.establish(table, n);
        Packet[] acks = new Packet[4096];
        SplittableRandom r = new SplittableRandom(3);
        for (int k = 0; k < acks.length; k++) {
            int i = r.nextInt(n);
            acks[k] = new Packet();
            acks[k].decode(BenchPackets.tcp4(0x0a000000 | (i >>> 14), 0xc0000250, 1024 + (i & 0x3fff), 443, 1001, 5001, 0x10, 0));
        }
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        int ops = 20_000_000;
        for (int round = 0; round < 3; round++) {
            long pass = 0;
            long t0 = tm.getCurrentThreadCpuTime();
            for (int i = 0; i < ops; i++) {
                if (table.test(acks[0], true, 1) == StateVerdict.PASS) pass++;
            }
            long t1 = tm.getCurrentThreadCpuTime();
            for (int i = 0; i < ops; i++) {
                if (table.test(acks[i & 4095], true, 1) == StateVerdict.PASS) pass++;
            }
            long t2 = tm.getCurrentThreadCpuTime();
            if (pass != 2L * ops) throw new IllegalStateException("not every lookup passed: " + pass);
            System.out.printf("round %d, %d states: same flow %.1f ns/op CPU, random flows %.1f ns/op CPU%n",
                    round, n, (t1 - t0) / (double) ops, (t2 - t1) / (double) ops);
        }
    }
}
