package dev.palisade.bench;

import dev.palisade.app.cli.ReplayCommand;
import dev.palisade.core.pcap.LinkType;
import dev.palisade.core.pcap.PcapWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import picocli.CommandLine;

/**
 * {@code palisade replay} end to end on one core, in thread CPU time: the real
 * command (picocli, ruleset parsing, capture reading, link and IP decoding,
 * evaluation, counters, the summary) over a generated capture of
 * {@code packets} Ethernet frames: 10,000 concurrent TCP connections to the
 * host (SYN, SYN-ACK, ACK, requests and responses with data, FIN both ways,
 * each connection followed by a new one: ~58k states made and ended per 1M
 * packets), interleaved with UDP queries and answers and a scan of closed
 * ports (blocked). The ruleset is EvalBench's 1k rules plus the rules that
 * pass this traffic. Target: at least 2M packets/s on one core. Run:
 * {@code java -Xmx2g -cp bench/target/benchmarks.jar dev.palisade.bench.ReplayCpu [packets [rounds [rules]]]}
 * (default 1000000 packets, 5 rounds, EvalBench's 1000-rule ruleset (2 gives only the block rules
 * before the passes: the replay without the long walk); the capture goes to a temporary file, deleted at exit).
 */
public final class ReplayCpu {
    private ReplayCpu() {}

    static final int HOST = 0xc0000201; // 192.0.2.1 on eth0

    /** One generated TCP connection: its client, port and where it is in its exchange. */
    private static final class Conn {
        int client, sport, step;
        long cseq = 1000, sseq = 50_000;
    }

    static byte[] eth(byte[] ip) {
        byte[] f = new byte[14 + ip.length];
        f[12] = 0x08;
        System.arraycopy(ip, 0, f, 14, ip.length);
        return f;
    }

    /** Writes the capture; returns the number of packets. */
    static long generate(Path file, int packets) throws IOException {
        SplittableRandom r = new SplittableRandom(5);
        Conn[] live = new Conn[10_000];
        int next = 0;
        try (PcapWriter w = PcapWriter.create(file, LinkType.ETHERNET)) {
            for (int i = 0; i < packets; i++) {
                long ts = 1_700_000_000_000_000_000L + i * 1000L; // 1 us apart
                int kind = r.nextInt(100);
                byte[] ip;
                if (kind < 8) { // UDP query out and its answer
                    int peer = 0xc6336400 | r.nextInt(200);
                    int port = 30000 + r.nextInt(2000);
                    ip = (kind & 1) == 0 ? EvalBench.udp4(HOST, peer, port, 53) : EvalBench.udp4(peer, HOST, 53, port);
                } else if (kind < 10) { // a scan of closed ports
                    ip = BenchPackets.tcp4(0xcb007100 | r.nextInt(256), HOST, 40000 + r.nextInt(1000), 1 + r.nextInt(1000), 7, 0, 0x02, 0);
                } else {
                    int k = r.nextInt(live.length);
                    Conn c = live[k];
                    if (c == null) {
                        c = live[k] = new Conn();
                        int n = next++;
                        c.client = (172 << 24) | (16 << 16) | ((n >>> 10) & 0xffff);
                        c.sport = 1024 + (n & 1023) * 60 + (n >>> 26);
                    }
                    ip = tcpStep(c);
                    if (c.step == 10) live[k] = null;
                }
                w.write(ts, eth(ip));
            }
        }
        return packets;
    }

    /** The connection's next packet: handshake, 3 request/response rounds, FINs. */
    static byte[] tcpStep(Conn c) {
        int s = c.step++;
        return switch (s) {
            case 0 -> BenchPackets.tcp4(c.client, HOST, c.sport, 443, c.cseq++, 0, 0x02, 0);
            case 1 -> BenchPackets.tcp4(HOST, c.client, 443, c.sport, c.sseq++, c.cseq, 0x12, 0);
            case 2, 4, 6 -> {
                byte[] b = BenchPackets.tcp4(c.client, HOST, c.sport, 443, c.cseq, c.sseq, s == 2 ? 0x10 : 0x18, s == 2 ? 0 : 200);
                if (s != 2) c.cseq += 200;
                yield b;
            }
            case 3, 5, 7 -> {
                byte[] b = BenchPackets.tcp4(HOST, c.client, 443, c.sport, c.sseq, c.cseq, 0x18, 1000);
                c.sseq += 1000;
                yield b;
            }
            case 8 -> BenchPackets.tcp4(c.client, HOST, c.sport, 443, c.cseq++, c.sseq, 0x11, 0);
            default -> BenchPackets.tcp4(HOST, c.client, 443, c.sport, c.sseq++, c.cseq, 0x11, 0);
        };
    }

    static String ruleset(int rules) {
        return EvalBench.ruleset(rules)
                + "pass in on eth0 proto tcp to 192.0.2.1 port 443 keep state\n"
                + "pass out on eth0 proto udp to port 53 keep state\n"
                + "set limit states 200000\n";
    }

    public static void main(String[] args) throws IOException {
        int packets = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int rules = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        Path dir = Files.createTempDirectory("replay-cpu");
        Path pcap = dir.resolve("generated.pcap"), conf = dir.resolve("pf.conf"), host = dir.resolve("host.profile");
        try {
            generate(pcap, packets);
            Files.writeString(conf, ruleset(rules));
            Files.writeString(host, "interface eth0 192.0.2.1/24\ninterface eth1 198.51.100.1/24\n"
                    + "interface eth2 203.0.113.1/24\ninterface eth3 10.0.0.1/8\nifgroup egress eth0\n");
            ThreadMXBean tm = ManagementFactory.getThreadMXBean();
            for (int round = 0; round < rounds; round++) {
                StringWriter out = new StringWriter(), err = new StringWriter();
                CommandLine cl = new CommandLine(new ReplayCommand());
                cl.setOut(new PrintWriter(out));
                cl.setErr(new PrintWriter(err));
                long t0 = tm.getCurrentThreadCpuTime(), w0 = System.nanoTime();
                int rc = cl.execute("-f", conf.toString(), "--host-profile", host.toString(), "-i", "eth0", pcap.toString());
                long t1 = tm.getCurrentThreadCpuTime(), w1 = System.nanoTime();
                if (rc != 0) throw new IllegalStateException("replay exited " + rc + ": " + err);
                String summary = out.toString();
                if (round == 0) System.out.print(summary.substring(0, summary.indexOf("\n\n") + 1));
                System.out.printf("round %d: %d packets in %.3f s CPU (%.3f s wall): %.2fM packets/s CPU%n", round, packets,
                        (t1 - t0) / 1e9, (w1 - w0) / 1e9, packets / ((t1 - t0) / 1e9) / 1e6);
            }
        } finally {
            Files.deleteIfExists(pcap);
            Files.deleteIfExists(conf);
            Files.deleteIfExists(host);
            Files.deleteIfExists(dir);
        }
    }
}
