package dev.palisade.services;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes table entries (bans and cache entries) on one worker thread.
 *
 * <p>Why: {@link Tables#add} is durable and may wait for a group commit, and
 * a ban also kills states over netlink; the callers (an NFQUEUE reader, the
 * trap listener's selector, a DNS completion) must never wait for either.
 * So they {@link #submit} a request into a bounded queue and go on. Requests
 * for the same table and address that are already queued are coalesced: a
 * flood from one peer costs one write. A full queue refuses (counted), so
 * memory is bounded by {@code capacity} whatever the flood.
 *
 * <p>Cost: one thread; per queued request one small record and one map entry.
 */
public final class Banner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Banner.class);

    /**
     * One table write.
     *
     * @param table   the table
     * @param address the address to add (as a host prefix)
     * @param expires when the entry expires, or null for never
     * @param origin  why it is there
     * @param reason  the ban reason for metrics ("tripwire", "trap", "dnsbl"), or null when this
     *                is not a ban (a cache entry): then no states are killed and no ban is counted
     * @param then    called on the worker thread with the outcome; may be null
     */
    public record Request(String table, IpAddress address, Instant expires, Origin origin, String reason,
                          Consumer<Result> then) {
        public Request {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(origin, "origin");
        }
    }

    /** What became of a request: the table's outcome, or the error it threw. */
    public sealed interface Result {
        record Done(Tables.AddOutcome outcome) implements Result {}
        record Failed(RuntimeException error) implements Result {}
    }

    /** What {@link #submit} did with a request. */
    public enum Submitted { QUEUED, COALESCED, QUEUE_FULL, CLOSED }

    private record Key(String table, IpAddress address) {}

    private final Tables tables;
    private final StateKiller killer;
    private final SeedMetrics metrics;
    private final BlockingQueue<Request> queue;
    private final ConcurrentHashMap<Key, Boolean> pending = new ConcurrentHashMap<>();
    private final Thread worker;
    private volatile boolean closed;

    /**
     * @param capacity the most requests waiting at once (bounds memory)
     * @param name     the worker thread's name
     */
    public Banner(Tables tables, StateKiller killer, SeedMetrics metrics, int capacity, String name) {
        if (capacity < 1) throw new IllegalArgumentException("ban queue capacity must be at least 1, got " + capacity);
        this.tables = Objects.requireNonNull(tables, "tables");
        this.killer = Objects.requireNonNull(killer, "killer");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.worker = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
        worker.start();
    }

    /** Queues a write; never blocks. */
    public Submitted submit(Request r) {
        if (closed) return Submitted.CLOSED;
        Key k = new Key(r.table(), r.address());
        if (pending.putIfAbsent(k, Boolean.TRUE) != null) return Submitted.COALESCED;
        if (!queue.offer(r)) {
            pending.remove(k);
            if (r.reason() != null) metrics.banRefused.labelValues(r.reason(), "queue_full").inc();
            return Submitted.QUEUE_FULL;
        }
        return Submitted.QUEUED;
    }

    /** True while a write for this table and address is queued or running. */
    public boolean isPending(String table, IpAddress address) {
        return pending.containsKey(new Key(table, address));
    }

    /** Requests waiting or running. */
    public int backlog() {
        return pending.size();
    }

    private void run() {
        while (!closed || !queue.isEmpty()) {
            Request r;
            try {
                r = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                if (closed) break;
                continue;
            }
            if (r == null) continue;
            Result result;
            try {
                Tables.AddOutcome o = tables.add(r.table(), IpPrefix.host(r.address()), r.expires(), r.origin());
                if (r.reason() != null) {
                    switch (o) {
                        case ADDED -> metrics.bans.labelValues(r.reason()).inc();
                        case REFUSED_ALLOWLIST -> metrics.banRefused.labelValues(r.reason(), "allowlist").inc();
                        case NO_SUCH_TABLE -> metrics.banRefused.labelValues(r.reason(), "no_table").inc();
                        case REFUSED_CONST -> metrics.banRefused.labelValues(r.reason(), "const").inc();
                        case REFRESHED -> { }
                    }
                    if (o == Tables.AddOutcome.ADDED || o == Tables.AddOutcome.REFRESHED) {
                        try {
                            killer.killStates(r.address());
                        } catch (RuntimeException e) {
                            log.warn("killing states of {} failed: {}", r.address(), e.toString());
                        }
                    }
                }
                result = new Result.Done(o);
            } catch (RuntimeException e) {
                if (r.reason() != null) metrics.banRefused.labelValues(r.reason(), "error").inc();
                log.error("adding {} to table <{}> failed: {}", r.address(), r.table(), e.toString());
                result = new Result.Failed(e);
            } finally {
                pending.remove(new Key(r.table(), r.address()));
            }
            if (r.then() != null) {
                try {
                    r.then().accept(result);
                } catch (RuntimeException e) {
                    log.error("ban callback for {} failed", r.address(), e);
                }
            }
        }
    }

    /** Finishes the queued writes (up to 5 s) and stops the worker. */
    @Override
    public void close() {
        closed = true;
        try {
            worker.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
