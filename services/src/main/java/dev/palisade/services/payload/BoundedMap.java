package dev.palisade.services.payload;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A map of at most {@code capacity} entries that evicts the least recently
 * used one: the per-flow tables of payload diverters, whose memory must not
 * grow with the number of flows an attacker can open. Not thread-safe; each
 * diverter confines it to its queue thread (or locks).
 */
public final class BoundedMap<K, V> extends LinkedHashMap<K, V> {

    private final int capacity;
    private long evictions;

    public BoundedMap(int capacity) {
        super(Math.min(capacity, 1 << 16) * 4 / 3 + 1, 0.75f, true);
        if (capacity < 1) throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        this.capacity = capacity;
    }

    public int capacity() {
        return capacity;
    }

    /** How many entries were pushed out since creation. */
    public long evictions() {
        return evictions;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        if (size() > capacity) {
            evictions++;
            return true;
        }
        return false;
    }
}
