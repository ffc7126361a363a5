package dev.palisade.core.tabled;

/**
 * A set of longs by open addressing with linear probing: 8 bytes a slot, at
 * most half full, no boxing. 0 marks an empty slot, so the value 0 is stored
 * as 1 (for replay identifiers, which are random 64-bit numbers, the merged
 * pair costs a 2^-63 chance of a false "seen").
 */
final class LongHashSet {

    private long[] slots = new long[16];
    private int size;

    int size() {
        return size;
    }

    boolean contains(long v) {
        long k = v == 0 ? 1 : v;
        int mask = slots.length - 1;
        for (int i = mix(k) & mask; ; i = (i + 1) & mask) {
            long s = slots[i];
            if (s == k) return true;
            if (s == 0) return false;
        }
    }

    /** Adds {@code v}; false when it was there already. */
    boolean add(long v) {
        long k = v == 0 ? 1 : v;
        if (2 * (size + 1) > slots.length) grow();
        int mask = slots.length - 1;
        for (int i = mix(k) & mask; ; i = (i + 1) & mask) {
            long s = slots[i];
            if (s == k) return false;
            if (s == 0) {
                slots[i] = k;
                size++;
                return true;
            }
        }
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        int mask = slots.length - 1;
        for (long k : old) {
            if (k == 0) continue;
            int i = mix(k) & mask;
            while (slots[i] != 0) i = (i + 1) & mask;
            slots[i] = k;
        }
    }

    private static int mix(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
