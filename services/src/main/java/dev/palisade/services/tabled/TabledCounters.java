package dev.palisade.services.tabled;

import dev.palisade.core.tabled.RejectReason;
import dev.palisade.core.tabled.TabledApplier;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The pftabled server's counters by outcome: datagrams received, dropped by
 * reason, applied by effect, and internal errors. Plain counters; the
 * metrics exporter reads {@link #snapshot()}.
 */
public final class TabledCounters {

    private final LongAdder received = new LongAdder();
    private final LongAdder internalErrors = new LongAdder();
    private final EnumMap<RejectReason, LongAdder> rejected = new EnumMap<>(RejectReason.class);
    private final EnumMap<TabledApplier.Effect, LongAdder> applied = new EnumMap<>(TabledApplier.Effect.class);

    public TabledCounters() {
        for (RejectReason r : RejectReason.values()) rejected.put(r, new LongAdder());
        for (TabledApplier.Effect e : TabledApplier.Effect.values()) applied.put(e, new LongAdder());
    }

    void countReceived() {
        received.increment();
    }

    void countRejected(RejectReason reason) {
        rejected.get(reason).increment();
    }

    void countApplied(TabledApplier.Effect effect) {
        applied.get(effect).increment();
    }

    void countInternalError() {
        internalErrors.increment();
    }

    /** Datagrams received. */
    public long received() {
        return received.sum();
    }

    /** Datagrams dropped for {@code reason}. */
    public long rejected(RejectReason reason) {
        return rejected.get(reason).sum();
    }

    /** Datagrams dropped for any reason. */
    public long rejectedTotal() {
        return rejected.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Commands applied with {@code effect}. */
    public long applied(TabledApplier.Effect effect) {
        return applied.get(effect).sum();
    }

    /** Commands applied with any effect. */
    public long appliedTotal() {
        return applied.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Exceptions caught in the receive loop (a bug if ever non-zero; the datagram was dropped). */
    public long internalErrors() {
        return internalErrors.sum();
    }

    /** Every counter by name: {@code received}, {@code rejected_<reason>}, {@code applied_<effect>}, {@code internal_errors}. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("received", received());
        rejected.forEach((r, n) -> m.put("rejected_" + r.label(), n.sum()));
        applied.forEach((e, n) -> m.put("applied_" + e.label(), n.sum()));
        m.put("internal_errors", internalErrors());
        return m;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        snapshot().forEach((k, v) -> {
            if (v != 0) sb.append(sb.isEmpty() ? "" : " ").append(k).append('=').append(v);
        });
        return sb.isEmpty() ? "nothing received" : sb.toString();
    }
}
