package dev.palisade.services.payload.dns;

import dev.palisade.core.divert.PacketView;
import dev.palisade.core.divert.PayloadDiverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.services.payload.Metrics;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code dns-rewrite} diverter: DNS responses from port {@code dnsPort}
 * (UDP, or TCP where whole messages lie in the segment) whose names are
 * listed get their A/AAAA answers replaced by sinkhole addresses, or become
 * NXDOMAIN. See {@link DnsResponseRewriter} for the message rules.
 *
 * <p>UDP: in place when sinkholing; NXDOMAIN shortens the datagram (IP and
 * UDP lengths fixed). TCP: a segment must start with the 2-byte length of a
 * message that it holds whole; each whole message in it is judged, the rest
 * passes untouched, and the length never changes (sequence numbers stay).
 */
public final class DnsRewriteDiverter extends PayloadDiverter {

    private static final Logger LOG = LoggerFactory.getLogger(DnsRewriteDiverter.class);

    private final int port;
    private final int dnsPort;
    private final DnsResponseRewriter rewriter;
    private final Map<DnsResponseRewriter.Result, CounterDataPoint> results = new EnumMap<>(DnsResponseRewriter.Result.class);
    private final CounterDataPoint partial;

    public DnsRewriteDiverter(int port, int dnsPort, DnsResponseRewriter rewriter, PrometheusRegistry registry) {
        super("dns-rewrite");
        this.port = port;
        this.dnsPort = dnsPort;
        this.rewriter = rewriter;
        Counter c = Metrics.counter(registry, "palisade_dns_rewrite_messages", "DNS responses seen by dns-rewrite, by result",
                "port", "result");
        for (DnsResponseRewriter.Result r : DnsResponseRewriter.Result.values()) {
            results.put(r, c.labelValues(Integer.toString(port), r.name().toLowerCase(Locale.ROOT)));
        }
        partial = c.labelValues(Integer.toString(port), "partial_tcp");
    }

    /** How many messages ended with {@code result}. */
    public long count(DnsResponseRewriter.Result result) {
        return results.get(result).getLongValue();
    }

    /** TCP segments that did not start with a whole message. */
    public long partialTcp() {
        return partial.getLongValue();
    }

    @Override
    protected synchronized Verdict inspect(PacketView p) {
        if (p.srcPort() != dnsPort || p.payloadLength() == 0) return Verdict.PASS;
        byte[] b = p.data();
        int off = p.payloadOffset();
        int len = p.payloadLength();
        if (p.isUdp()) {
            DnsResponseRewriter.Result r = rewriter.rewrite(b, off, len, true);
            results.get(r).inc();
            return switch (r) {
                case SINKHOLED -> {
                    log(p, r);
                    yield p.rewritten();
                }
                case NXDOMAIN -> {
                    log(p, r);
                    yield rewriter.newLength() == len ? p.rewritten() : new Verdict.Rewrite(p.withPayloadLength(rewriter.newLength()));
                }
                default -> Verdict.PASS;
            };
        }
        if (!p.isTcp()) return Verdict.PASS;
        boolean changed = false;
        int q = off;
        int end = off + len;
        boolean any = false;
        while (q + 2 <= end) {
            int mlen = ((b[q] & 0xff) << 8) | (b[q + 1] & 0xff);
            if (q + 2 + mlen > end) break;
            any = true;
            DnsResponseRewriter.Result r = rewriter.rewrite(b, q + 2, mlen, false);
            results.get(r).inc();
            if (r == DnsResponseRewriter.Result.SINKHOLED || r == DnsResponseRewriter.Result.NXDOMAIN) {
                changed = true;
                log(p, r);
            }
            q += 2 + mlen;
        }
        if (!any) partial.inc();
        return changed ? p.rewritten() : Verdict.PASS;
    }

    private void log(PacketView p, DnsResponseRewriter.Result r) {
        if (r == DnsResponseRewriter.Result.NXDOMAIN) {
            LOG.info("dns-rewrite port {}: {} listed: NXDOMAIN in {}", port, rewriter.listedName(), p.flow());
        } else {
            LOG.info("dns-rewrite port {}: {} listed: {} address record(s) sinkholed in {}", port, rewriter.listedName(),
                    rewriter.rewrittenRecords(), p.flow());
        }
    }
}
