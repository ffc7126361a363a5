package dev.palisade.bench;

import dev.palisade.core.packet.Checksums;
import dev.palisade.core.packet.Malformed;
import dev.palisade.core.packet.Packet;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Packet decoding: a TCP/IPv4 segment with options, an IPv6 UDP datagram
 * behind hop-by-hop + fragment headers, an ICMP port unreachable with its
 * quoted header, and a full TCP checksum. Run:
 * {@code java -jar bench/target/benchmarks.jar PacketDecodeBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class PacketDecodeBench {
    private final Packet packet = new Packet();
    private byte[] tcp4, udp6, icmpErr;

    @Setup
    public void setup() {
        tcp4 = BenchPackets.tcp4(0x0a000001, 0xc0000250, 40000, 443, 1000, 2000, 0x10, 1400);
        udp6 = BenchPackets.udp6ext();
        icmpErr = BenchPackets.icmpUnreach(tcp4);
        for (byte[] b : new byte[][] {tcp4, udp6, icmpErr}) {
            if (packet.decode(b) != Malformed.NONE) throw new IllegalStateException("bench packet does not decode: " + packet);
        }
    }

    @Benchmark
    public int decodeTcp4() {
        packet.decode(tcp4, 0, tcp4.length);
        return packet.dstPort();
    }

    @Benchmark
    public int decodeUdp6ExtHeaders() {
        packet.decode(udp6, 0, udp6.length);
        return packet.dstPort();
    }

    @Benchmark
    public int decodeIcmpErrorWithQuote() {
        packet.decode(icmpErr, 0, icmpErr.length);
        return packet.embedded().dstPort();
    }

    @Benchmark
    public int tcpChecksum1400() {
        packet.decode(tcp4, 0, tcp4.length);
        return Checksums.transport(packet);
    }
}
