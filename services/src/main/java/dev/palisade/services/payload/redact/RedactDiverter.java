package dev.palisade.services.payload.redact;

import dev.palisade.core.divert.PacketView;
import dev.palisade.core.divert.PayloadDiverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.services.payload.BoundedMap;
import dev.palisade.services.payload.FlowKey;
import dev.palisade.services.payload.Latin1Chars;
import dev.palisade.services.payload.Metrics;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.regex.Matcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code redact} diverter (data-leak prevention): finds card numbers,
 * US social security numbers and user regexes in TCP and UDP payloads;
 * alerts (a log line with the flow, a counter) or masks the matched bytes
 * with 'X' of the same length, so TCP sequence numbers stay valid.
 *
 * <p>Matches spanning segments: for each TCP flow direction the last
 * {@code carry} bytes of the stream are kept (after masking) with the
 * sequence number where they end. A segment that continues the stream (or
 * retransmits its tail) is scanned joined to those bytes. A match is
 * reported once, by the segment in which it ends; its bytes in that segment
 * are masked. Its bytes in the earlier segment cannot be: that segment has
 * already been passed on. The flow table holds at most {@code flows}
 * directions, least recently used evicted; FIN or RST forgets a direction.
 *
 * <p>Cost per packet: the digit scanner's one pass over the payload, plus
 * one pass per user regex; with carry, one copy of carry + payload into a
 * scratch buffer and one flow table probe. Instances are confined to their
 * queue's thread ({@code inspect} is synchronized for safety).
 */
public final class RedactDiverter extends PayloadDiverter {

    private static final Logger LOG = LoggerFactory.getLogger(RedactDiverter.class);

    /** Per-direction stream tail. */
    private static final class Tail {
        final byte[] bytes;
        int len;
        int endSeq;

        Tail(int carry) {
            bytes = new byte[carry];
        }
    }

    private final int port;
    private final RedactRule[] rules;
    private final Matcher[] matchers;
    private final DigitScanner digits;
    private final boolean anyDigits;
    private final int carry;
    private final BoundedMap<FlowKey, Tail> flows;
    private final Matches matches = new Matches();
    private byte[] scratch = new byte[2048];

    private final CounterDataPoint[] matchCounters;
    private final CounterDataPoint[] spanCounters;
    private final CounterDataPoint maskedBytes;
    private final CounterDataPoint packetsRewritten;

    /**
     * @param port     the divert port, for logs and the metrics' {@code port} label
     * @param rules    the patterns, in order; at most one each of card and ssn
     * @param carry    bytes kept per TCP flow direction for matches spanning segments (0: none), at most 4096
     * @param maxFlows flow directions tracked for carry, at least 1
     * @param registry where the counters go
     */
    public RedactDiverter(int port, List<RedactRule> rules, int carry, int maxFlows, PrometheusRegistry registry) {
        super("redact");
        if (rules.isEmpty()) throw new IllegalArgumentException("redact needs at least one pattern");
        if (carry < 0 || carry > 4096) throw new IllegalArgumentException("carry " + carry + " out of range 0..4096");
        this.port = port;
        this.rules = rules.toArray(RedactRule[]::new);
        this.matchers = new Matcher[this.rules.length];
        int card = -1;
        int ssn = -1;
        for (int i = 0; i < this.rules.length; i++) {
            RedactRule r = this.rules[i];
            if (r.builtIn()) {
                if (r.name().equals("card")) {
                    if (card >= 0) throw new IllegalArgumentException("pattern card given twice");
                    card = i;
                } else {
                    if (ssn >= 0) throw new IllegalArgumentException("pattern ssn given twice");
                    ssn = i;
                }
            } else {
                matchers[i] = r.regex().matcher("");
            }
        }
        this.digits = new DigitScanner(card, ssn);
        this.anyDigits = card >= 0 || ssn >= 0;
        this.carry = carry;
        this.flows = new BoundedMap<>(maxFlows);
        String p = Integer.toString(port);
        Counter m = Metrics.counter(registry, "palisade_redact_matches", "Pattern matches found by the redact diverter",
                "port", "pattern", "action");
        Counter s = Metrics.counter(registry, "palisade_redact_spanning_matches",
                "Matches that began in an earlier TCP segment (only the current segment's part is masked)", "port", "pattern");
        matchCounters = new CounterDataPoint[this.rules.length];
        spanCounters = new CounterDataPoint[this.rules.length];
        for (int i = 0; i < this.rules.length; i++) {
            matchCounters[i] = m.labelValues(p, this.rules[i].name(), this.rules[i].action().name().toLowerCase(java.util.Locale.ROOT));
            spanCounters[i] = s.labelValues(p, this.rules[i].name());
        }
        maskedBytes = Metrics.counter(registry, "palisade_redact_masked_bytes", "Payload bytes replaced by X", "port").labelValues(p);
        packetsRewritten = Metrics.counter(registry, "palisade_redact_rewritten_packets", "Packets passed with masked bytes", "port")
                .labelValues(p);
    }

    /** The rules, in order. */
    public List<RedactRule> rules() {
        return List.of(rules);
    }

    /** Matches of rule {@code name} so far (the counter's value). */
    public long matchCount(String name) {
        for (int i = 0; i < rules.length; i++) if (rules[i].name().equals(name)) return matchCounters[i].getLongValue();
        throw new IllegalArgumentException("no pattern named \"" + name + "\"");
    }

    /** Flow directions currently holding carry-over bytes. */
    public synchronized int trackedFlows() {
        return flows.size();
    }

    @Override
    protected synchronized Verdict inspect(PacketView p) {
        boolean tcp = p.isTcp();
        if (!tcp && !p.isUdp()) return Verdict.PASS;
        int len = p.payloadLength();
        boolean closing = tcp && (p.tcpFlags() & (PacketView.FIN | PacketView.RST)) != 0;
        if (len == 0) {
            if (closing && carry > 0 && !flows.isEmpty()) flows.remove(FlowKey.of(p));
            return Verdict.PASS;
        }
        byte[] data = p.data();
        int off = p.payloadOffset();
        boolean useCarry = tcp && carry > 0;
        FlowKey key = null;
        Tail tail = null;
        int prefix = 0;
        byte[] buf = data;
        int base = off;
        if (useCarry) {
            key = FlowKey.of(p);
            tail = flows.get(key);
            if (tail != null) {
                int back = tail.endSeq - p.tcpSeq();
                if (back >= 0 && back < tail.len) prefix = tail.len - back;
            }
            if (prefix > 0) {
                if (scratch.length < prefix + len) scratch = new byte[prefix + len];
                System.arraycopy(tail.bytes, 0, scratch, 0, prefix);
                System.arraycopy(data, off, scratch, prefix, len);
                buf = scratch;
                base = 0;
            }
        }
        int cur = base + prefix;
        int end = cur + len;
        matches.clear();
        if (anyDigits) digits.scan(buf, base, end, matches);
        for (int i = 0; i < matchers.length; i++) {
            Matcher m = matchers[i];
            if (m == null) continue;
            m.reset(new Latin1Chars(buf, base, end - base));
            while (m.find()) {
                if (m.end() > m.start()) matches.add(i, base + m.start(), base + m.end());
            }
        }
        boolean changed = false;
        for (int k = 0; k < matches.size; k++) {
            int e = matches.end[k];
            if (e <= cur) continue; // ended in bytes already judged with the earlier segment
            int s = matches.start[k];
            int ri = matches.pattern[k];
            RedactRule r = rules[ri];
            matchCounters[ri].inc();
            boolean spanning = s < cur;
            if (spanning) spanCounters[ri].inc();
            int masked = 0;
            if (r.action() == RedactRule.Action.MASK) {
                for (int q = Math.max(s, cur); q < e; q++) {
                    if (data[off + q - cur] != 'X') masked++;
                    data[off + q - cur] = 'X';
                    if (buf != data) buf[q] = 'X';
                }
                if (masked > 0) changed = true;
                maskedBytes.inc(masked);
            }
            log(p, r, e - s, spanning ? e - cur : e - s, masked);
        }
        if (useCarry) {
            if (closing) {
                flows.remove(key);
            } else {
                int newEnd = p.tcpSeq() + len;
                if (tail == null) {
                    tail = new Tail(carry);
                    flows.put(key, tail);
                    keep(tail, buf, base, end, newEnd);
                } else if (newEnd - tail.endSeq > 0) {
                    keep(tail, buf, base, end, newEnd);
                }
            }
        }
        if (changed) {
            packetsRewritten.inc();
            return p.rewritten();
        }
        return Verdict.PASS;
    }

    private void keep(Tail t, byte[] buf, int base, int end, int endSeq) {
        int k = Math.min(carry, end - base);
        System.arraycopy(buf, end - k, t.bytes, 0, k);
        t.len = k;
        t.endSeq = endSeq;
    }

    private void log(PacketView p, RedactRule r, int matchLen, int hereLen, int masked) {
        if (r.action() == RedactRule.Action.ALERT) {
            LOG.warn("redact port {}: {} found in {}: {} bytes{}", port, r.name(), p.flow(), matchLen,
                    hereLen < matchLen ? " (spanning segments, " + hereLen + " in this one)" : "");
        } else if (hereLen < matchLen) {
            LOG.warn("redact port {}: {} found in {}: masked {} of {} bytes; the other {} had left in an earlier segment",
                    port, r.name(), p.flow(), masked, matchLen, matchLen - hereLen);
        } else {
            LOG.info("redact port {}: {} found in {}: masked {} bytes", port, r.name(), p.flow(), masked);
        }
    }
}
