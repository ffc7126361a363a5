package dev.palisade.services.tabled;

/**
 * Lets at most {@code limit} log lines through per {@code intervalMillis},
 * and tells how many were held back when the next interval opens, so that a
 * flood of bad datagrams cannot flood the log (or the disk) too.
 * Thread-safe.
 */
final class LogLimiter {

    private final int limit;
    private final long intervalMillis;
    private long windowStart = Long.MIN_VALUE;
    private int used;
    private long suppressed;

    LogLimiter(int limit, long intervalMillis) {
        this.limit = limit;
        this.intervalMillis = intervalMillis;
    }

    /**
     * Whether a line may be logged now: -1 for no; otherwise the number of
     * lines suppressed since the last one let through (to be reported).
     */
    synchronized long tryAcquire(long nowMillis) {
        if (windowStart == Long.MIN_VALUE || nowMillis - windowStart >= intervalMillis || nowMillis < windowStart) {
            windowStart = nowMillis;
            used = 0;
        }
        if (used >= limit) {
            suppressed++;
            return -1;
        }
        used++;
        long s = suppressed;
        suppressed = 0;
        return s;
    }
}
