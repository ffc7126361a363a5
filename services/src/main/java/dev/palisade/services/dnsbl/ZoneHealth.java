package dev.palisade.services.dnsbl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backs off a zone that keeps failing.
 *
 * <p>Why: a dead or refusing zone otherwise costs a full timeout for every
 * new source, and with fail-open that is pure delay. After
 * {@code threshold} consecutive failures spread over at least
 * {@code minStreakNanos} (so that a burst of timeouts that all expire in the
 * same millisecond, while other queries are answered, does not count as a
 * dead zone) the zone is skipped (its answer is
 * "failed, backed off", at once) for a period that starts at
 * {@code initialBackoffNanos} and doubles on each failed probe up to
 * {@code maxBackoffNanos}; after the period one lookup probes it. Entering
 * back-off and recovering are each logged once.
 */
final class ZoneHealth {

    private static final Logger log = LoggerFactory.getLogger("palisade.dnsbl");

    private final String zone;
    private final int threshold;
    private final long initialBackoffNanos;
    private final long maxBackoffNanos;
    private final long minStreakNanos;
    private long streakStart;
    private int consecutiveFailures;
    private long backoffNanos;
    private long until;
    private boolean backedOff;
    private String lastReason = "";
    private final java.util.function.IntConsumer state;

    /** @param state told 1 when the zone starts being backed off and 0 when it recovers */
    ZoneHealth(String zone, int threshold, long minStreakNanos, long initialBackoffNanos, long maxBackoffNanos,
               java.util.function.IntConsumer state) {
        this.state = state;
        this.minStreakNanos = minStreakNanos;
        this.zone = zone;
        this.threshold = threshold;
        this.initialBackoffNanos = initialBackoffNanos;
        this.maxBackoffNanos = maxBackoffNanos;
    }

    /** True when the zone should not be asked now. */
    synchronized boolean skip(long now) {
        return backedOff && now - until < 0;
    }

    synchronized boolean backedOff() {
        return backedOff;
    }

    synchronized void success() {
        if (backedOff) {
            log.info("dnsbl zone {} answering again", zone);
            state.accept(0);
        }
        backedOff = false;
        consecutiveFailures = 0;
        backoffNanos = 0;
    }

    synchronized void failure(long now, String reason) {
        if (consecutiveFailures++ == 0) streakStart = now;
        lastReason = reason;
        if (consecutiveFailures < threshold || now - streakStart < minStreakNanos) return;
        backoffNanos = backoffNanos == 0 ? initialBackoffNanos : Math.min(maxBackoffNanos, backoffNanos * 2);
        until = now + backoffNanos;
        if (!backedOff) {
            state.accept(1);
            log.warn("dnsbl zone {} failing: {} consecutive failures (last: {}); backing off for {} s",
                    zone, consecutiveFailures, lastReason, backoffNanos / 1_000_000_000L);
        }
        backedOff = true;
    }
}
