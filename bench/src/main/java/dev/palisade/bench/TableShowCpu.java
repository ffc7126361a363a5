package dev.palisade.bench;

import dev.palisade.core.table.TableSet;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon's side of {@code -T show} of a 1M-entry table ({@link TableData}'s
 * mix): chunks of 4096 entries formatted under no lock here (palisaded holds
 * its read lock per chunk), written as control-protocol lines ({@code "1 "}
 * prefix) to a discarding stream, timed in thread CPU time and wall time.
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
            Writer w = new BufferedWriter(new OutputStreamWriter(sink, StandardCharsets.UTF_8), 1 << 16);
            long lines = 0;
            long c0 = tm.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            TableSet.ShowCursor cur = new TableSet.ShowCursor();
            List<String> out = new ArrayList<>(4096);
            while (!cur.done()) {
                out.clear();
                set.showChunk("t", 0, cur, 4096, out::add, e -> { throw new IllegalStateException(e); });
                for (String l : out) {
                    w.write('1');
                    w.write(' ');
                    w.write(l);
                    w.write('\n');
                }
                lines += out.size();
            }
            w.flush();
            long c1 = tm.getCurrentThreadCpuTime();
            long t1 = System.nanoTime();
            if (lines != set.table("t").size()) throw new UncheckedIOException(new IOException("showed " + lines + " of " + set.table("t").size()));
            System.out.printf("round %d: %d lines, %.2f s CPU (%.2fM lines/s CPU), %.2f s wall%n",
                    round, lines, (c1 - c0) / 1e9, lines * 1e3 / (c1 - c0), (t1 - t0) / 1e9);
        }
    }
}
