package dev.palisade.bench;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableFlags;
import dev.palisade.core.table.TableSet;
import dev.palisade.services.store.DurableTables;
import dev.palisade.services.store.TableStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Acknowledged durable adds per second: each operation is one
 * {@code Tables.add} that returns only once its change is fsync'd, from as
 * many threads as JMH's {@code -t} (concurrent bans from the diverters).
 * {@code journal} is palisaded's store ({@link TableStore}: append-only
 * journal, group commit); {@code mvstore} is H2 MVStore doing the same with
 * the same group commit (leader does {@code commit()} then {@code sync()}),
 * to compare the two candidate stores. Target: 50k adds/s.
 * Run: {@code java -jar bench/target/benchmarks.jar DurableAddBench -t 64}
 * (state in {@code java.io.tmpdir}, removed afterwards).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
public class DurableAddBench {

    Path dir;
    DurableTables tables;
    final AtomicInteger next = new AtomicInteger();
    final Origin origin = new Origin.Tripwire(22);

    MVStore mv;
    MVMap<Long, String> map;
    final ReentrantLock mvLock = new ReentrantLock();
    final Condition mvDone = mvLock.newCondition();
    long mvAppended;
    long mvDurable;
    boolean mvFlushing;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("palisade-bench");
        TableSet set = new TableSet(Clock.systemUTC(), Allowlist.EMPTY);
        tables = new DurableTables(set, TableStore.open(dir.resolve("journal"), set, 0));
        tables.write(s -> s.create("t", TableFlags.PERSIST));
        mv = new MVStore.Builder().fileName(dir.resolve("mv.db").toString()).autoCommitDisabled().open();
        map = mv.openMap("t");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        tables.store().close();
        mv.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public Object journal() {
        int i = next.incrementAndGet();
        return tables.add("t", new IpPrefix(IpAddress.ofV4(0x0a000000 + i), 32), null, origin);
    }

    /** A burst: 100 adds under one lock and one durable wait (a {@code -T add -f}, a pftabled datagram train). */
    @Benchmark
    @org.openjdk.jmh.annotations.OperationsPerInvocation(100)
    public Object journalBatch100() {
        int i = next.getAndAdd(100);
        return tables.write(s -> {
            for (int k = 1; k <= 100; k++) s.add("t", new IpPrefix(IpAddress.ofV4(0x0b000000 + i + k), 32), null, origin);
            return null;
        });
    }

    @Benchmark
    public Object mvstore() {
        int i = next.incrementAndGet();
        long seq;
        mvLock.lock();
        try {
            map.put((long) i, "tripwire\t22");
            seq = ++mvAppended;
            while (mvDurable < seq) {
                if (mvFlushing) {
                    mvDone.awaitUninterruptibly();
                    continue;
                }
                mvFlushing = true;
                long upto = mvAppended;
                mvLock.unlock();
                try {
                    mv.commit();
                    mv.sync();
                } finally {
                    mvLock.lock();
                }
                mvDurable = upto;
                mvFlushing = false;
                mvDone.signalAll();
            }
        } finally {
            mvLock.unlock();
        }
        return seq;
    }
}
