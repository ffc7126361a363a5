package dev.palisade.bench;

import dev.palisade.core.packet.Packet;
import dev.palisade.core.state.StateOptions;
import dev.palisade.core.state.StateTable;
import dev.palisade.core.state.StateVerdict;
import dev.palisade.core.state.Timeout;
import dev.palisade.core.state.Timeouts;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * State lookup of a packet of an established TCP connection (pf_test_state
 * with full window tracking), in a table of {@code states} established
 * connections: the same flow again and again (hot caches), and flows drawn
 * at random from the whole table (cache misses, the realistic case).
 * Target: at most 100 ns. Run:
 * {@code java -jar bench/target/benchmarks.jar StateLookupBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class StateLookupBench {
    @Param({"1000", "1000000"})
    public int states;

    private StateTable table;
    private Packet[] acks;
    private int next;

    /** Fills {@code table} with {@code n} established connections; returns one client ACK per connection, decoded. */
    static Packet[] establish(StateTable table, int n) {
        Packet[] acks = new Packet[Math.min(n, 65536)];
        Packet p = new Packet();
        for (int i = 0; i < n; i++) {
            int client = 0x0a000000 | (i >>> 14);
            int sport = 1024 + (i & 0x3fff);
            int server = 0xc0000250;
            byte[] syn = BenchPackets.tcp4(client, server, sport, 443, 1000, 0, 0x02, 0);
            p.decode(syn);
            if (table.create(p, true, 1, StateOptions.keep(1)) < 0) throw new IllegalStateException("create failed at " + i);
            p.decode(BenchPackets.tcp4(server, client, 443, sport, 5000, 1001, 0x12, 0));
            check(table.test(p, false, 1));
            byte[] ack = BenchPackets.tcp4(client, server, sport, 443, 1001, 5001, 0x10, 0);
            p.decode(ack);
            check(table.test(p, true, 1));
            if (i < acks.length) {
                acks[i] = new Packet();
                acks[i].decode(ack);
            }
        }
        return acks;
    }

    private static void check(StateVerdict v) {
        if (v != StateVerdict.PASS) throw new IllegalStateException("handshake not passed: " + v);
    }

    static StateTable newTable(int n) {
        Timeouts t = Timeouts.defaults().with(Map.of(Timeout.ADAPTIVE_START, 0, Timeout.ADAPTIVE_END, 0));
        return new StateTable(Math.max(n, 1) + 10, t, InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z")), new SplittableRandom(1));
    }

    @Setup(Level.Trial)
    public void setup() {
        table = newTable(states);
        Packet[] firsts = establish(table, states);
        // for the random case: ACKs of connections spread over the whole table
        acks = new Packet[4096];
        SplittableRandom r = new SplittableRandom(3);
        for (int k = 0; k < acks.length; k++) {
            int i = r.nextInt(states);
            int client = 0x0a000000 | (i >>> 14);
            int sport = 1024 + (i & 0x3fff);
            acks[k] = new Packet();
            acks[k].decode(BenchPackets.tcp4(client, 0xc0000250, sport, 443, 1001, 5001, 0x10, 0));
        }
        if (firsts.length == 0) throw new IllegalStateException();
    }

    @Benchmark
    public StateVerdict establishedSameFlow() {
        return table.test(acks[0], true, 1);
    }

    @Benchmark
    public StateVerdict establishedRandomFlow() {
        Packet p = acks[next++ & (acks.length - 1)];
        return table.test(p, true, 1);
    }
}
