package dev.palisade.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * {@link RedactBench}'s workload measured in packets per second of this
 * thread's CPU time rather than wall time: on a shared, overloaded machine
 * (more runnable threads than cores) wall-clock throughput measures the
 * scheduler, CPU time measures the code. Warms up, then reports 5 rounds.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.palisade.bench.RedactCpuTime [text|digits|binary ...]}.
 */
public final class RedactCpuTime {

    public static void main(String[] args) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        String[] kinds = args.length > 0 ? args : new String[] {"text", "digits", "binary"};
        for (String kind : kinds) {
            RedactBench b = new RedactBench();
            b.payload = kind;
            b.setup();
            int n = 200_000;
            for (int i = 0; i < 3 * n; i++) b.redactPacket();
            StringBuilder sb = new StringBuilder(kind + ":");
            for (int round = 0; round < 5; round++) {
                long c0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < n; i++) b.redactPacket();
                long c1 = mx.getCurrentThreadCpuTime();
                sb.append(String.format(" %.0f", n / ((c1 - c0) / 1e9)));
            }
            System.out.println(sb.append(" packets/cpu-s"));
        }
    }
}
