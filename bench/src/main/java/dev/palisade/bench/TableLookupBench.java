package dev.palisade.bench;

import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.AddressTable;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Longest-prefix match in one table of {@code size} prefixes
 * ({@link TableData}'s mix), one thread. Lookup keys: half drawn from the
 * entries (an address inside each), half uniformly random, as a packet
 * stream where half the sources are banned. Target: 20M lookups/s at 1M.
 * Run: {@code java -jar bench/target/benchmarks.jar TableLookupBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class TableLookupBench {

    static final int KEYS = 1 << 16;

    @Param({"1000000"})
    int size;

    AddressTable table;
    int[] v4 = new int[KEYS];
    long[] v6hi = new long[KEYS];
    long[] v6lo = new long[KEYS];

    @Setup
    public void setup() {
        List<IpPrefix> ps = TableData.prefixes(size, 42);
        table = TableData.table(ps).table("t");
        SplittableRandom r = new SplittableRandom(7);
        int n4 = 0, n6 = 0;
        while (n4 < KEYS || n6 < KEYS) {
            boolean fromEntry = r.nextBoolean();
            IpPrefix p = fromEntry ? ps.get(r.nextInt(ps.size())) : TableData.prefix(r);
            long hostBits = r.nextLong();
            if (!p.v6() && n4 < KEYS) {
                int a = (int) p.address().lo();
                int mask = p.length() == 0 ? 0 : -1 << (32 - p.length());
                v4[n4++] = fromEntry ? (a & mask) | ((int) hostBits & ~mask) : (int) hostBits;
            } else if (p.v6() && n6 < KEYS) {
                v6hi[n6] = p.address().hi() | (p.length() < 64 ? hostBits >>> p.length() : 0);
                v6lo[n6] = fromEntry ? p.address().lo() | (p.length() < 128 ? (hostBits >>> Math.max(0, p.length() - 64)) & (p.length() <= 64 ? -1L : -1L >>> (p.length() - 64)) : 0) : hostBits;
                n6++;
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(KEYS)
    public int lookupV4() {
        int m = 0;
        for (int i = 0; i < KEYS; i++) if (table.matchesV4(v4[i])) m++;
        return m;
    }

    @Benchmark
    @OperationsPerInvocation(KEYS)
    public int lookupV6() {
        int m = 0;
        for (int i = 0; i < KEYS; i++) if (table.matchesV6(v6hi[i], v6lo[i])) m++;
        return m;
    }

    /** 80% IPv4, 20% IPv6 keys, as the table's mix. */
    @Benchmark
    @OperationsPerInvocation(KEYS)
    public int lookupMixed() {
        int m = 0;
        for (int i = 0; i < KEYS; i++) {
            if ((i % 5) != 4) {
                if (table.matchesV4(v4[i])) m++;
            } else if (table.matchesV6(v6hi[i], v6lo[i])) {
                m++;
            }
        }
        return m;
    }
}
