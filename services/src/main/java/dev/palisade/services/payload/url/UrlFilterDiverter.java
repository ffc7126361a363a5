package dev.palisade.services.payload.url;

import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.PacketView;
import dev.palisade.core.divert.PayloadDiverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.services.payload.BoundedMap;
import dev.palisade.services.payload.DomainList;
import dev.palisade.services.payload.FlowKey;
import dev.palisade.services.payload.Metrics;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Arrays;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code urlfilter} diverter: reads the host name a client asks for, the
 * TLS ClientHello's SNI or the HTTP Host header, from the first bytes of
 * each TCP connection, and allows or blocks the connection by domain lists.
 *
 * <p>Per flow direction it keeps the stream's first bytes until a name is
 * found, up to {@code maxHead} bytes: a ClientHello or request split across
 * segments (post-quantum key shares make ClientHellos larger than one MSS)
 * is judged when the segment holding the name arrives. The earlier segments
 * have passed by then; blocking the later one still stops the connection,
 * because the server never gets a whole ClientHello or request. A segment
 * out of order (a gap) ends the attempt: the flow is let through,
 * "undecided". After the decision every packet of the flow gets the same
 * verdict without parsing: allowed ones pass, blocked ones are dropped.
 *
 * <p>Decision: a name on the allow list passes; else a name on the block
 * list is blocked; else {@code defaultBlock} decides (also for a complete
 * ClientHello or request that names no host). Streams that are neither TLS
 * nor HTTP pass. Blocking drops the packet; with {@code rst}, resets go
 * both ways too (injected through the {@link DiverterContext}).
 */
public final class UrlFilterDiverter extends PayloadDiverter {

    private static final Logger LOG = LoggerFactory.getLogger(UrlFilterDiverter.class);

    private static final byte PENDING = 0, PASS = 1, BLOCK = 2;

    private static final class State {
        byte state = PENDING;
        byte[] head;
        int len;
        int nextSeq;
    }

    /** Settings. */
    public record Settings(DomainList block, DomainList allow, boolean defaultBlock, boolean rst, Set<Integer> ports,
                           int maxHead, int maxFlows) {
        public Settings {
            if (maxHead < 512 || maxHead > 65536) throw new IllegalArgumentException("max-head " + maxHead + " out of range 512..65536");
            if (maxFlows < 1) throw new IllegalArgumentException("flows must be at least 1, got " + maxFlows);
            ports = Set.copyOf(ports);
        }
    }

    private final int port;
    private final Settings s;
    private final DiverterContext context;
    private final BoundedMap<FlowKey, State> flows;
    private final Counter decisions;
    private final Counter undecided;

    public UrlFilterDiverter(int port, Settings settings, DiverterContext context, PrometheusRegistry registry) {
        super("urlfilter");
        this.port = port;
        this.s = settings;
        this.context = context;
        this.flows = new BoundedMap<>(settings.maxFlows());
        this.decisions = Metrics.counter(registry, "palisade_urlfilter_decisions",
                "Connections judged by urlfilter, by where the name came from and the action", "port", "via", "action");
        this.undecided = Metrics.counter(registry, "palisade_urlfilter_undecided",
                "Connections let through without a decision, by reason", "port", "reason");
    }

    /** Decisions so far for {@code via} (sni, host, none) and {@code action} (allow, block). */
    public long decisions(String via, String action) {
        return decisions.labelValues(Integer.toString(port), via, action).getLongValue();
    }

    public long undecided(String reason) {
        return undecided.labelValues(Integer.toString(port), reason).getLongValue();
    }

    @Override
    protected synchronized Verdict inspect(PacketView p) {
        if (!p.isTcp()) return Verdict.PASS;
        if (!s.ports().isEmpty() && !s.ports().contains(p.dstPort())) return Verdict.PASS;
        FlowKey key = FlowKey.of(p);
        State st = flows.get(key);
        boolean closing = (p.tcpFlags() & (PacketView.FIN | PacketView.RST)) != 0;
        if (st != null && st.state == BLOCK) {
            // A bare reset ends the blocked connection: it must reach the server, or the server keeps a
            // half-open connection until its timeout. This is also how action rst's own injected reset
            // toward the server gets through when it crosses this queue again (it does on the same host).
            if ((p.tcpFlags() & PacketView.RST) != 0 && p.payloadLength() == 0) {
                flows.remove(key);
                return Verdict.PASS;
            }
            return Verdict.DROP;
        }
        if (st != null && st.state == PASS) {
            if (closing) flows.remove(key);
            return Verdict.PASS;
        }
        int len = p.payloadLength();
        if (len == 0) {
            if (closing && st != null) flows.remove(key);
            return Verdict.PASS;
        }
        byte[] d = p.data();
        int off = p.payloadOffset();
        if (st == null) {
            st = new State();
            st.head = Arrays.copyOfRange(d, off, off + Math.min(len, s.maxHead()));
            st.len = st.head.length;
            st.nextSeq = p.tcpSeq() + len;
            flows.put(key, st);
        } else {
            int delta = p.tcpSeq() - st.nextSeq;
            if (delta < 0) {
                // A retransmission: passes unless it is the whole head again (judged below anyway).
                if (p.tcpSeq() + len - st.nextSeq <= 0) return Verdict.PASS;
            }
            if (delta != 0) {
                st.state = PASS;
                st.head = null;
                undecided.labelValues(Integer.toString(port), "out-of-order").inc();
                return Verdict.PASS;
            }
            int take = Math.min(len, s.maxHead() - st.len);
            if (st.len + take > st.head.length) st.head = Arrays.copyOf(st.head, Math.min(s.maxHead(), Math.max(st.len + take, st.head.length * 2)));
            System.arraycopy(d, off, st.head, st.len, take);
            st.len += take;
            st.nextSeq += len;
        }
        boolean tls = st.head[0] == 22;
        HostName h = tls ? ClientHelloSni.parse(st.head, 0, st.len) : HttpHost.parse(st.head, 0, st.len);
        String via = tls ? "sni" : "host";
        switch (h) {
            case HostName.Found f -> {
                return decide(p, key, st, via, f.name(), !s.allow().matches(f.name()) && (s.block().matches(f.name()) || s.defaultBlock()));
            }
            case HostName.Absent a -> {
                return decide(p, key, st, "none", null, s.defaultBlock());
            }
            case HostName.NeedMore n -> {
                if (st.len >= s.maxHead()) {
                    st.state = PASS;
                    st.head = null;
                    undecided.labelValues(Integer.toString(port), "too-long").inc();
                }
                return Verdict.PASS;
            }
            case HostName.NotMatched nm -> {
                st.state = PASS;
                st.head = null;
                undecided.labelValues(Integer.toString(port), "not-http-or-tls").inc();
                return Verdict.PASS;
            }
        }
    }

    private Verdict decide(PacketView p, FlowKey key, State st, String via, String name, boolean block) {
        st.head = null;
        decisions.labelValues(Integer.toString(port), via, block ? "block" : "allow").inc();
        String what = name == null ? "no host name" : via + " " + name;
        if (!block) {
            st.state = PASS;
            LOG.info("urlfilter port {}: allow {} in {}", port, what, p.flow());
            return Verdict.PASS;
        }
        st.state = BLOCK;
        if (s.rst()) {
            for (byte[] r : p.resetsBothWays()) context.inject(r);
        }
        LOG.info("urlfilter port {}: block{} {} in {}", port, s.rst() ? " (reset)" : "", what, p.flow());
        return Verdict.DROP;
    }
}
