package dev.palisade.bench;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.tabled.TableCommand;
import dev.palisade.core.tabled.TabledCodec;
import dev.palisade.core.tabled.TabledConfig;
import dev.palisade.core.tabled.TabledDecision;
import dev.palisade.core.tabled.TabledKeys;
import dev.palisade.core.tabled.TabledProtocol;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pftabled protocol core alone (no socket): verify and judge one valid
 * datagram, version 2 (HMAC-SHA1) and 3 (HMAC-SHA256), over a pool of 2^20
 * distinct datagrams so the replay cache does its real work.
 * Run: {@code java -jar bench/target/benchmarks.jar TabledProtocolBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class TabledProtocolBench {

    static final int POOL = 1 << 20;
    byte[][] v2 = new byte[POOL][];
    byte[][] v3 = new byte[POOL][];
    TabledProtocol protocol;
    IpAddress peer = IpAddress.parse("192.0.2.1");
    long nowMillis;
    int i;

    @Setup(Level.Trial)
    public void sign() {
        byte[] k = new byte[32];
        for (int j = 0; j < 32; j++) k[j] = (byte) j;
        TabledKeys keys = TabledKeys.fromKeyFile(k, "bench");
        long now = System.currentTimeMillis() / 1000;
        nowMillis = now * 1000;
        byte[] nonce = new byte[16];
        for (int j = 0; j < POOL; j++) {
            TableCommand c = TableCommand.add("bench", IpPrefix.host(IpAddress.ofV4(0x0a000000 | j)));
            v2[j] = TabledCodec.encodeV2(c, now, keys.v2Key());
            v3[j] = TabledCodec.encodeV3(c, now, nonce, keys.v3Key());
        }
        this.keys = keys;
    }

    TabledKeys keys;

    /** A fresh replay cache each iteration: an iteration of 1 s handles fewer than 2^20 datagrams, so each is new. */
    @Setup(Level.Iteration)
    public void fresh() {
        protocol = new TabledProtocol(TabledConfig.defaults(keys).withRate(0, 0).withReplayCapacity(4 << 20));
        i = 0;
    }

    /** Every datagram of the iteration must have been accepted (and so is in the replay cache). */
    @org.openjdk.jmh.annotations.TearDown(Level.Iteration)
    public void check() {
        if (protocol.replayCacheSize() != Math.min(i, POOL)) {
            throw new IllegalStateException("only " + protocol.replayCacheSize() + " of " + i + " datagrams accepted");
        }
    }

    @Benchmark
    public TabledDecision handleV2() {
        return protocol.handle(v2[i++ & (POOL - 1)], peer, nowMillis);
    }

    @Benchmark
    public TabledDecision handleV3() {
        return protocol.handle(v3[i++ & (POOL - 1)], peer, nowMillis);
    }
}
