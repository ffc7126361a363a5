package dev.palisade.services.payload.redact;

/**
 * A reusable list of matches (pattern index, start, end) filled by the
 * scanners: no allocation per packet once grown.
 */
final class Matches {

    int size;
    int[] pattern = new int[8];
    int[] start = new int[8];
    int[] end = new int[8];

    void clear() {
        size = 0;
    }

    void add(int p, int s, int e) {
        if (size == pattern.length) {
            pattern = java.util.Arrays.copyOf(pattern, size * 2);
            start = java.util.Arrays.copyOf(start, size * 2);
            end = java.util.Arrays.copyOf(end, size * 2);
        }
        pattern[size] = p;
        start[size] = s;
        end[size] = e;
        size++;
    }
}
