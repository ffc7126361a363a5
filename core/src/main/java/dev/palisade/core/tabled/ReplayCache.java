package dev.palisade.core.tabled;

import java.util.Map;
import java.util.TreeMap;

/**
 * Remembers the datagrams accepted within the time window, so that the same
 * datagram sent again (a replay) is refused.
 *
 * <p>Why this shape: a datagram is accepted only while its timestamp is
 * within the window of the server's clock, so it needs remembering only
 * until its timestamp falls out of the window; after that the timestamp
 * check refuses it anyway. Identifiers are therefore kept in one bucket per
 * timestamp second (a {@link TreeMap} of primitive hash sets), and whole
 * buckets are dropped as the clock passes them: no per-entry expiry, no
 * boxing per datagram (the last bucket used is cached).
 *
 * <p>Memory is bounded by {@code capacity} identifiers (about 16 bytes each).
 * When full, the bucket with the oldest timestamp is dropped and a floor is
 * raised to that timestamp: from then on every datagram stamped at or below
 * the floor is refused as {@link Result#FULL}. So an overflow (a flood of
 * valid datagrams, which needs the key) never lets a replay through; it only
 * refuses old-stamped datagrams until the clock passes the floor, the
 * sliding-window idea of IPsec's anti-replay (RFC 4303, 3.4.3).
 *
 * <p>Cost: one hash-set probe per datagram; a tree lookup when the timestamp
 * second changes. Not thread-safe: one per receive loop.
 */
final class ReplayCache {

    /** What {@link #checkAndRecord} found. */
    enum Result {
        /** Not seen before; now recorded. */
        FRESH,
        /** Seen before within the window. */
        REPLAYED,
        /** Stamped at or below the overflow floor: cannot tell, refused. */
        FULL
    }

    private final int capacity;
    private final TreeMap<Long, LongHashSet> buckets = new TreeMap<>();
    private int size;
    private long floor = Long.MIN_VALUE;
    private long purgedAt = Long.MIN_VALUE; // the clock second of the last purge
    private long lastSecond = Long.MIN_VALUE;
    private LongHashSet lastBucket;

    ReplayCache(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("replay cache capacity must be at least 1, got " + capacity);
        this.capacity = capacity;
    }

    /**
     * Checks and records one accepted datagram.
     *
     * @param timestamp the datagram's timestamp (seconds), already inside the window
     * @param id        the datagram's identifier (a 64-bit digest of its authenticated bytes)
     * @param now       the server's clock, seconds
     * @param window    the window, seconds
     */
    Result checkAndRecord(long timestamp, long id, long now, long window) {
        if (now != purgedAt) {
            purgedAt = now;
            purge(now - window);
        }
        if (timestamp <= floor) return Result.FULL;
        LongHashSet bucket = bucket(timestamp);
        if (bucket != null && bucket.contains(id)) return Result.REPLAYED;
        while (size >= capacity) {
            Map.Entry<Long, LongHashSet> oldest = buckets.pollFirstEntry();
            size -= oldest.getValue().size();
            floor = Math.max(floor, oldest.getKey());
            if (oldest.getValue() == lastBucket) {
                lastBucket = null;
                lastSecond = Long.MIN_VALUE;
            }
        }
        if (timestamp <= floor) return Result.FULL;
        if (bucket == null || bucket(timestamp) == null) {
            bucket = new LongHashSet();
            buckets.put(timestamp, bucket);
            lastSecond = timestamp;
            lastBucket = bucket;
        }
        if (bucket.add(id)) size++;
        return Result.FRESH;
    }

    private LongHashSet bucket(long timestamp) {
        if (timestamp == lastSecond) return lastBucket;
        LongHashSet b = buckets.get(timestamp);
        if (b != null) {
            lastSecond = timestamp;
            lastBucket = b;
        }
        return b;
    }

    /** Drops the buckets stamped before {@code oldest}: the window check refuses those datagrams now. */
    private void purge(long oldest) {
        var old = buckets.headMap(oldest, false);
        for (LongHashSet b : old.values()) {
            size -= b.size();
            if (b == lastBucket) {
                lastBucket = null;
                lastSecond = Long.MIN_VALUE;
            }
        }
        old.clear();
    }

    /** Identifiers held. */
    int size() {
        return size;
    }
}
