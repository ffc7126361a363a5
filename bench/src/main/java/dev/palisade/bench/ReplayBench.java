package dev.palisade.bench;

import dev.palisade.core.eval.Evaluator;
import dev.palisade.core.eval.PacketMeta;
import dev.palisade.core.packet.Packet;
import dev.palisade.core.pcap.CaptureReader;
import dev.palisade.core.pcap.CaptureRecord;
import dev.palisade.core.pcap.LinkType;
import dev.palisade.core.pcap.PcapWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Replay end to end, one core: read a generated 1M-packet pcap (RAW IPv4 UDP,
 * 10k flows, each flow's first packet creating a state through a 1k-rule
 * ruleset, the rest matching it), decode, evaluate. Score: packets/s.
 * Target: >= 2M packets/s. Run:
 * {@code java -jar bench/target/benchmarks.jar ReplayBench -f 1 -wi 1 -i 3}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
public class ReplayBench {
    static final int PACKETS = 1_000_000;
    Path file;

    @Setup
    public void setup() throws IOException {
        file = Files.createTempFile("replay-bench", ".pcap");
        SplittableRandom r = new SplittableRandom(4);
        try (PcapWriter w = PcapWriter.create(file, LinkType.RAW)) {
            for (int i = 0; i < PACKETS; i++) {
                int flow = r.nextInt(10_000);
                int src = (172 << 24) | (16 << 16) | ((flow & 63) << 8) | 9;
                w.write(i * 1000L, EvalBench.udp4(src, 0xc0000201, 20000 + flow, 1000 + (flow % 16)));
            }
        }
    }

    @TearDown
    public void tearDown() throws IOException {
        Files.deleteIfExists(file);
    }

    /**
     * The 1k-rule ruleset of the workload, stateful, its pass rules for UDP
     * (EvalBench's first 1,000 rules are all TCP: with them every packet of
     * this capture was blocked by the default rule and no state was ever made).
     */
    static String ruleset() {
        return EvalBench.ruleset(1000).replace(" no state", " keep state").replace(" proto tcp ", " proto udp ");
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public long replay() throws IOException {
        String conf = ruleset();
        Evaluator ev = EvalBench.evaluator(conf);
        Packet p = new Packet();
        CaptureRecord rec = new CaptureRecord();
        PacketMeta meta = PacketMeta.of("eth0", true);
        long passed = 0;
        try (CaptureReader cr = CaptureReader.open(file)) {
            while (cr.next(rec)) {
                int off = rec.ipOffset();
                if (off < 0) continue;
                p.decode(rec.data(), off, rec.length() - off);
                if (ev.decide(p, meta)) passed++;
            }
        }
        return passed;
    }
}
