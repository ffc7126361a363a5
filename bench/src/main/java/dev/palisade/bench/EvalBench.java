package dev.palisade.bench;

import dev.palisade.core.eval.Decision;
import dev.palisade.core.eval.Evaluator;
import dev.palisade.core.eval.PacketMeta;
import dev.palisade.core.eval.RulesetTables;
import dev.palisade.core.eval.TableLookup;
import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.ParseOptions;
import dev.palisade.core.lang.ParseResult;
import dev.palisade.core.lang.Parser;
import dev.palisade.core.lang.Ruleset;
import dev.palisade.core.packet.Packet;
import dev.palisade.core.state.StateTable;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.TableSet;
import java.time.Clock;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Rule evaluation (core.eval). {@code firstPacket}: a packet no state knows,
 * through a generated ruleset of {@code rules} rules (per interface blocks of
 * pass rules by protocol, source network and service port, as real rulesets
 * group them), with skip steps or linearly. {@code traffic=udp}: UDP packets
 * over the four interfaces (at 10 to 1000 rules, all TCP rules on eth0, the
 * walk ends after a few tests: the interface or protocol skip step jumps to the
 * end); {@code traffic=tcp}: TCP SYNs in on eth0 from the rules' source networks
 * to their ports and to others, so each walk tests the 16 port rules of its
 * network and skips over the other networks' blocks (~80 tests at 1k rules, as
 * replay's first packets). {@code established}:
 * a UDP packet of an existing state. Targets: first packet at 1k rules <= 1 us,
 * established <= 100 ns. Run:
 * {@code java -jar bench/target/benchmarks.jar EvalBench -f 1 -wi 2 -w 1 -i 3 -r 1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class EvalBench {

    static final HostProfile HOST = HostProfile.parse("""
            interface eth0 192.0.2.1/24
            interface eth1 198.51.100.1/24
            interface eth2 203.0.113.1/24
            interface eth3 10.0.0.1/8
            ifgroup egress eth0
            """, "bench");

    @Param({"10", "100", "1000", "10000"})
    int rules;

    @Param({"skip", "linear"})
    String walk;

    @Param({"udp", "tcp"})
    String traffic;

    Evaluator ev;
    Packet[] packets;
    PacketMeta[] metas;
    int i;
    Packet established;
    PacketMeta estMeta;

    /** A ruleset of n rules: block all, then pass rules over 4 interfaces x tcp/udp x source nets x ports. */
    static String ruleset(int n) {
        StringBuilder sb = new StringBuilder("table <bad> { 10.66.0.0/16 }\nblock all\nblock in quick from <bad>\n");
        int k = 2;
        outer:
        for (int ifc = 0; ; ifc++) {
            for (String proto : new String[] {"tcp", "udp"}) {
                for (int net = 0; net < 64; net++) {
                    for (int port = 0; port < 16; port++) {
                        if (k++ >= n) break outer;
                        sb.append("pass in on eth").append(ifc % 4).append(" proto ").append(proto)
                                .append(" from 172.").append(16 + (ifc / 4) % 16).append('.').append(net).append(".0/24 to any port ")
                                .append(1000 + port).append(" no state\n");
                    }
                }
            }
        }
        return sb.toString();
    }

    static Evaluator evaluator(String conf) {
        ParseResult r = Parser.parse("bench", conf, new ParseOptions(HOST, Map.of(), null));
        if (!r.ok()) throw new IllegalStateException(dev.palisade.core.lang.PfctlText.stderr(r));
        Ruleset rs = r.ruleset();
        TableSet t = new TableSet(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), Allowlist.EMPTY);
        RulesetTables.load(rs, t, 0);
        InstantSource clock = () -> Instant.ofEpochSecond(1000);
        return new Evaluator(rs, HOST, Evaluator.stateTable(rs, clock, new SplittableRandom(1)), TableLookup.of(t), t, clock,
                new SplittableRandom(2));
    }

    static byte[] udp4(int src, int dst, int sport, int dport) {
        return dev.palisade.core.packet.PacketBuilder.udp4(src, dst, sport, dport);
    }

    @Setup
    public void setup() {
        ev = evaluator(ruleset(rules));
        SplittableRandom r = new SplittableRandom(3);
        packets = new Packet[1024];
        metas = new PacketMeta[1024];
        for (int j = 0; j < packets.length; j++) {
            int src = (172 << 24) | ((16 + r.nextInt(4)) << 16) | (r.nextInt(64) << 8) | 9;
            packets[j] = new Packet();
            if (traffic.equals("tcp")) {
                int net = (172 << 24) | (16 << 16) | (r.nextInt(64) << 8) | 9;
                packets[j].decode(BenchPackets.tcp4(net, 0xc0000201, 40000, 1000 + r.nextInt(24), 1, 0, 0x02, 0));
                metas[j] = PacketMeta.of("eth0", true);
            } else {
                packets[j].decode(udp4(src, 0xc0000201, 40000, 1000 + r.nextInt(24)));
                metas[j] = PacketMeta.of("eth" + r.nextInt(4), true);
            }
        }
        established = new Packet();
        established.decode(udp4(0xc6336409, 0xc0000201, 5353, 53));
        estMeta = PacketMeta.of("eth1", true);
        estEv = evaluator("block all\npass in proto udp keep state\n");
        estEv.evaluate(established, estMeta);
    }

    Evaluator estEv;

    @Benchmark
    public Decision firstPacket() {
        int j = i++ & 1023;
        return walk.equals("skip") ? ev.evaluate(packets[j], metas[j]) : ev.evaluateLinear(packets[j], metas[j]);
    }

    @Benchmark
    public Decision established() {
        return estEv.evaluate(established, estMeta);
    }
}
