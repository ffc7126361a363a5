package dev.palisade.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * {@link ReplayBench}'s workload (1M-packet pcap through a 1k-rule ruleset)
 * in packets per second of this thread's CPU time, so the figure holds on a
 * shared machine. Warms up twice, then reports 5 rounds.
 *
 * <p>Run: {@code java -Xmx1g -cp bench/target/benchmarks.jar dev.palisade.bench.ReplayCpu}; with
 * {@code write PCAP CONF} it writes the capture and the ruleset instead, for timing {@code palisade replay}
 * itself (bench/scripts/replay-e2e.sh).
 */
public final class ReplayCpu {

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("write")) {
            ReplayBench w = new ReplayBench();
            w.setup();
            java.nio.file.Files.move(w.file, java.nio.file.Path.of(args[1]), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            java.nio.file.Files.writeString(java.nio.file.Path.of(args[2]), ReplayBench.ruleset());
            return;
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        ReplayBench b = new ReplayBench();
        b.setup();
        try {
            for (int i = 0; i < 2; i++) b.replay();
            StringBuilder sb = new StringBuilder("replay:");
            for (int round = 0; round < 5; round++) {
                long c0 = mx.getCurrentThreadCpuTime();
                b.replay();
                long c1 = mx.getCurrentThreadCpuTime();
                sb.append(String.format(" %.2fM", ReplayBench.PACKETS / ((c1 - c0) / 1e9) / 1e6));
            }
            System.out.println(sb.append(" packets/cpu-s"));
        } finally {
            b.tearDown();
        }
    }
}
