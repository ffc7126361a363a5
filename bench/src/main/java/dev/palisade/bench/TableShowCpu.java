package dev.palisade.bench;

import dev.palisade.core.table.ShowLines;
import dev.palisade.core.table.TableSet;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The daemon's side of {@code -T show} of a 1M-entry table ({@link TableData}'s
 * mix): chunks of 4096 entries formatted under no lock here (palisaded holds
 * its read lock per chunk) as control-protocol lines ({@code "1 "} prefix) in
 * ASCII bytes, as palisaded writes them to its socket, to a discarding stream, timed in thread CPU time and wall time.
 * Run: {@code java -Xmx1g -cp bench/target/benchmarks.jar dev.palisade.bench.TableShowCpu}.
 */
public final class TableShowCpu {
    private TableShowCpu() {}

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        TableSet set = TableData.table(TableData.prefixes(n, 42));
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        long[] bytes = {0};
        OutputStream sink = new OutputStream() {
            @Override
            public void write(int b) {
                bytes[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                bytes[0] += len;
            }
        };
        for (int round = 0; round < 4; round++) {
            long lines = 0;
            long c0 = tm.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            TableSet.ShowCursor cur = new TableSet.ShowCursor();
            ShowLines out = new ShowLines(new byte[] {'1', ' '});
            while (!cur.done()) {
                out.reset();
                set.showChunk("t", cur, 4096, out, e -> { throw new IllegalStateException(e); });
                sink.write(out.array(), 0, out.length());
                lines += out.lines();
            }
            long c1 = tm.getCurrentThreadCpuTime();
            long t1 = System.nanoTime();
            if (lines != set.table("t").size()) throw new UncheckedIOException(new IOException("showed " + lines + " of " + set.table("t").size()));
            System.out.printf("round %d: %d lines, %.2f s CPU (%.2fM lines/s CPU), %.2f s wall%n",
                    round, lines, (c1 - c0) / 1e9, lines * 1e3 / (c1 - c0), (t1 - t0) / 1e9);
        }
    }
}
