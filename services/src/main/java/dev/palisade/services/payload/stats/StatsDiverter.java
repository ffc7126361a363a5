package dev.palisade.services.payload.stats;

import dev.palisade.core.divert.Flow;
import dev.palisade.core.divert.PacketView;
import dev.palisade.core.divert.PayloadDiverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.core.net.IpAddress;
import dev.palisade.services.payload.BoundedMap;
import dev.palisade.services.payload.FlowKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The {@code stats} diverter: counts every packet it sees and passes it.
 *
 * <ul>
 * <li>per port: packets and bytes (whole IP packets) for TCP and UDP, under
 *     the <em>service port</em>, the lower of the two ports (so a
 *     connection's both directions count under 443, not under the client's
 *     ephemeral port); other protocols count under port 0;
 * <li>per flow direction: packets and bytes, for at most {@code maxFlows}
 *     directions (least recently seen evicted, their counts dropped);
 * <li>top talkers: the source addresses that sent the most bytes,
 *     estimated with {@link SpaceSaving} over {@code topK} counters.
 * </ul>
 *
 * Memory is bounded: 4 x 65536 longs for ports, {@code maxFlows} flow
 * entries, {@code topK} talker entries. Read through {@link StatsCollector}
 * as Prometheus metrics; the packet path and a scrape share one lock.
 */
public final class StatsDiverter extends PayloadDiverter {

    private final int port;
    private final int exportFlows;
    private final long[] tcpPackets = new long[65536];
    private final long[] tcpBytes = new long[65536];
    private final long[] udpPackets = new long[65536];
    private final long[] udpBytes = new long[65536];
    private long otherPackets;
    private long otherBytes;
    private long packets;
    private long bytes;
    private final BoundedMap<FlowKey, long[]> flows;
    private final SpaceSaving<IpAddress> talkers;

    /** One port's counts. */
    public record PortCount(String proto, int port, long packets, long bytes) {}

    /** One flow direction's counts. */
    public record FlowCount(Flow flow, long packets, long bytes) {}

    public StatsDiverter(int port, int maxFlows, int topK, int exportFlows) {
        super("stats");
        if (exportFlows < 0) throw new IllegalArgumentException("export-flows must be >= 0, got " + exportFlows);
        this.port = port;
        this.exportFlows = exportFlows;
        this.flows = new BoundedMap<>(maxFlows);
        this.talkers = new SpaceSaving<>(topK);
    }

    public int port() {
        return port;
    }

    int exportFlows() {
        return exportFlows;
    }

    @Override
    protected synchronized Verdict inspect(PacketView p) {
        int len = p.data().length;
        packets++;
        bytes += len;
        if (p.isTcp() || p.isUdp()) {
            int sp = Math.min(p.srcPort(), p.dstPort());
            if (p.isTcp()) {
                tcpPackets[sp]++;
                tcpBytes[sp] += len;
            } else {
                udpPackets[sp]++;
                udpBytes[sp] += len;
            }
        } else {
            otherPackets++;
            otherBytes += len;
        }
        long[] f = flows.computeIfAbsent(FlowKey.of(p), k -> new long[2]);
        f[0]++;
        f[1] += len;
        talkers.add(p.src(), len);
        return Verdict.PASS;
    }

    /** Packets and bytes seen in all. */
    public synchronized long[] totals() {
        return new long[] {packets, bytes};
    }

    /** Ports with traffic, most bytes first; "other" (port 0) for protocols without ports. */
    public synchronized List<PortCount> ports() {
        List<PortCount> out = new ArrayList<>();
        for (int i = 0; i < 65536; i++) {
            if (tcpPackets[i] != 0) out.add(new PortCount("tcp", i, tcpPackets[i], tcpBytes[i]));
            if (udpPackets[i] != 0) out.add(new PortCount("udp", i, udpPackets[i], udpBytes[i]));
        }
        if (otherPackets != 0) out.add(new PortCount("other", 0, otherPackets, otherBytes));
        out.sort(Comparator.comparingLong(PortCount::bytes).reversed());
        return out;
    }

    /** The {@code n} flow directions with the most bytes among those tracked. */
    public synchronized List<FlowCount> topFlows(int n) {
        List<FlowCount> out = new ArrayList<>();
        for (Map.Entry<FlowKey, long[]> e : flows.entrySet()) {
            FlowKey k = e.getKey();
            boolean v6 = k.v6();
            IpAddress s = v6 ? IpAddress.ofV6(k.srcHi(), k.srcLo()) : IpAddress.ofV4((int) k.srcLo());
            IpAddress d = v6 ? IpAddress.ofV6(k.dstHi(), k.dstLo()) : IpAddress.ofV4((int) k.dstLo());
            out.add(new FlowCount(new Flow(k.protocol(), s, k.srcPort(), d, k.dstPort()), e.getValue()[0], e.getValue()[1]));
        }
        out.sort(Comparator.comparingLong(FlowCount::bytes).reversed());
        return out.size() > n ? List.copyOf(out.subList(0, n)) : out;
    }

    /** Flow directions tracked now. */
    public synchronized int trackedFlows() {
        return flows.size();
    }

    /** The top talkers by bytes sent (estimates, heaviest first). */
    public synchronized List<SpaceSaving.Entry<IpAddress>> topTalkers() {
        return talkers.top();
    }
}
