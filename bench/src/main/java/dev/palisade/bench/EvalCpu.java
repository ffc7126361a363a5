package dev.palisade.bench;

import dev.palisade.core.eval.Evaluator;
import dev.palisade.core.eval.PacketMeta;
import dev.palisade.core.packet.Packet;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * A packet of an established state through the whole evaluator
 * ({@link Evaluator#evaluate}: set-skip check, interface, state lookup,
 * TCP window tracking, counters, the decision), timed in thread CPU time.
 * The state table holds {@code n} established TCP connections made by the
 * evaluator itself (SYN in through a 1k-rule ruleset, SYN-ACK out, ACK in);
 * then one client ACK per connection is evaluated: the same flow again and
 * again (hot caches), and flows drawn at random from all {@code n} (the
 * realistic case: the table is as large as the traffic makes it).
 * Target: at most 100 ns per packet. Run:
 * {@code java -Xmx2g -cp bench/target/benchmarks.jar dev.palisade.bench.EvalCpu [states ...]}
 * (default 10000 100000 1000000).
 */
public final class EvalCpu {
    private EvalCpu() {}

    /** Where the prefetch's reads go, so the JIT keeps them. */
    static long sink;

    static final int SERVER = 0xc0000201; // 192.0.2.1, eth0's address

    static int client(int i) { return (172 << 24) | (16 << 16) | (i >>> 14); }

    static int sport(int i) { return 1024 + (i & 0x3fff); }

    /** An evaluator holding {@code n} established TCP states; returns the client ACK of connection i via {@code ack}. */
    static Evaluator establish(int n) {
        String conf = EvalBench.ruleset(1000) + "pass in on eth0 proto tcp to port 443 keep state\npass out keep state\n"
                + "set limit states " + (n + 16) + "\nset timeout { adaptive.start 0, adaptive.end 0 }\n";
        Evaluator ev = EvalBench.evaluator(conf);
        Packet p = new Packet();
        PacketMeta in = PacketMeta.of("eth0", true), out = PacketMeta.of("eth0", false);
        for (int i = 0; i < n; i++) {
            p.decode(BenchPackets.tcp4(client(i), SERVER, sport(i), 443, 1000, 0, 0x02, 0));
            if (!ev.evaluate(p, in).pass()) throw new IllegalStateException("SYN " + i + " blocked");
            p.decode(BenchPackets.tcp4(SERVER, client(i), 443, sport(i), 5000, 1001, 0x12, 0));
            if (!ev.evaluate(p, out).pass()) throw new IllegalStateException("SYN-ACK " + i + " blocked");
            p.decode(BenchPackets.tcp4(client(i), SERVER, sport(i), 443, 1001, 5001, 0x10, 0));
            if (!ev.evaluate(p, in).pass()) throw new IllegalStateException("ACK " + i + " blocked");
        }
        if (ev.states().size() != n) throw new IllegalStateException(ev.states().size() + " states, expected " + n);
        return ev;
    }

    static Packet ack(int i) {
        Packet p = new Packet();
        p.decode(BenchPackets.tcp4(client(i), SERVER, sport(i), 443, 1001, 5001, 0x10, 0));
        return p;
    }

    public static void main(String[] args) {
        int[] sizes = args.length > 0 ? java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
                : new int[] {10_000, 100_000, 1_000_000};
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        for (int n : sizes) {
            Evaluator ev = establish(n);
            Packet[] acks = new Packet[4096];
            SplittableRandom r = new SplittableRandom(3);
            for (int k = 0; k < acks.length; k++) acks[k] = ack(r.nextInt(n));
            PacketMeta in = PacketMeta.of("eth0", true);
            int ops = 10_000_000;
            for (int round = 0; round < 4; round++) {
                long pass = 0;
                long t0 = tm.getCurrentThreadCpuTime();
                for (int i = 0; i < ops; i++) {
                    if (ev.decide(acks[0], in)) pass++;
                }
                long t1 = tm.getCurrentThreadCpuTime();
                for (int i = 0; i < ops; i++) {
                    if (ev.decide(acks[i & 4095], in)) pass++;
                }
                long t2 = tm.getCurrentThreadCpuTime();
                // the same random flows in batches of 16, each batch prefetched as replay does it
                int[] slots = new int[16];
                var st = ev.states();
                for (int i = 0; i < ops; i += 16) {
                    for (int k = 0; k < 16; k++) slots[k] = st.probeIndex(acks[(i + k) & 4095], true);
                    for (int k = 0; k < 16; k++) sink += st.touchRecord(slots[k]);
                    for (int k = 0; k < 16; k++) {
                        if (ev.decide(acks[(i + k) & 4095], in)) pass++;
                    }
                }
                long t3 = tm.getCurrentThreadCpuTime();
                if (pass != 3L * ops) throw new IllegalStateException("not every packet passed: " + pass);
                System.out.printf("round %d, %d TCP states: same flow %.1f ns/packet CPU, random flows %.1f ns/packet CPU,"
                        + " random flows prefetched in batches of 16 %.1f ns/packet CPU%n",
                        round, n, (t1 - t0) / (double) ops, (t2 - t1) / (double) ops, (t3 - t2) / (double) ops);
            }
        }
    }
}
