package dev.palisade.bench;

import dev.palisade.core.packet.Packet;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * {@link PacketDecodeBench}'s decodes timed in thread CPU time (see
 * {@link StateLookupCpu} for why). Run:
 * {@code java -cp bench/target/benchmarks.jar dev.palisade.bench.PacketDecodeCpu}.
 */
public final class PacketDecodeCpu {
    private PacketDecodeCpu() {}

    public static void main(String[] args) {
        byte[] tcp4 = BenchPackets.tcp4(0x0a000001, 0xc0000250, 40000, 443, 1000, 2000, 0x10, 1400);
        byte[][] pkts = {tcp4, BenchPackets.udp6ext(), BenchPackets.icmpUnreach(tcp4)};
        String[] names = {"TCP/IPv4 with options", "UDP/IPv6 behind hop-by-hop + fragment", "ICMP unreachable with quoted header"};
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        Packet p = new Packet();
        int ops = 50_000_000;
        for (int round = 0; round < 3; round++) {
            for (int k = 0; k < pkts.length; k++) {
                byte[] b = pkts[k];
                long sum = 0;
                long t0 = tm.getCurrentThreadCpuTime();
                for (int i = 0; i < ops; i++) {
                    p.decode(b, 0, b.length);
                    sum += p.dstPort() + p.icmpType();
                }
                long t1 = tm.getCurrentThreadCpuTime();
                if (sum == 42) System.out.println();
                double ns = (t1 - t0) / (double) ops;
                System.out.printf("round %d: %-40s %.1f ns/op CPU (%.1f M packets/s)%n", round, names[k], ns, 1000 / ns);
            }
        }
    }
}
