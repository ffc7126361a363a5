package dev.palisade.services.payload.stats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The heaviest keys of a weighted stream in bounded memory: the
 * Space-Saving algorithm (Metwally, Agrawal, El Abbadi, "Efficient
 * computation of frequent and top-k elements in data streams", ICDT 2005),
 * weighted form.
 *
 * <p>Why: top talkers by bytes over millions of addresses must not keep a
 * counter per address. Space-Saving keeps {@code k} counters; a new key
 * takes over the smallest counter and inherits its count as its possible
 * overestimate ({@link Entry#error()}). Guarantees: every key whose true
 * weight exceeds total/k is in the table; each estimate is at least the
 * true weight and at most the true weight plus its error.
 *
 * <p>Structure: a hash map from key to entry plus a binary min-heap of the
 * entries by count (counts only grow, so an update sifts down). Cost per
 * update: one hash probe and O(log k).
 */
public final class SpaceSaving<K> {

    /** One monitored key: estimated weight, and by how much it may overstate. */
    public record Entry<K>(K key, long count, long error) {}

    private static final class Node<K> {
        K key;
        long count;
        long error;
        int index;
    }

    private final int k;
    private final Map<K, Node<K>> map;
    private final List<Node<K>> heap;
    private long total;

    public SpaceSaving(int k) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        this.k = k;
        this.map = new HashMap<>(k * 4 / 3 + 1);
        this.heap = new ArrayList<>(k);
    }

    public int capacity() {
        return k;
    }

    /** Sum of all weights offered. */
    public long total() {
        return total;
    }

    /** Adds {@code weight} (> 0) to {@code key}. */
    public void add(K key, long weight) {
        if (weight <= 0) throw new IllegalArgumentException("weight must be positive, got " + weight);
        total += weight;
        Node<K> n = map.get(key);
        if (n != null) {
            n.count += weight;
            siftDown(n.index);
            return;
        }
        if (heap.size() < k) {
            n = new Node<>();
            n.key = key;
            n.count = weight;
            n.index = heap.size();
            heap.add(n);
            map.put(key, n);
            siftUp(n.index);
            return;
        }
        Node<K> min = heap.getFirst();
        map.remove(min.key);
        min.error = min.count;
        min.count += weight;
        min.key = key;
        map.put(key, min);
        siftDown(0);
    }

    /** The monitored keys, heaviest first. */
    public List<Entry<K>> top() {
        List<Entry<K>> out = new ArrayList<>(heap.size());
        for (Node<K> n : heap) out.add(new Entry<>(n.key, n.count, n.error));
        out.sort(Comparator.comparingLong((Entry<K> e) -> e.count()).reversed());
        return out;
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (heap.get(parent).count <= heap.get(i).count) return;
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        int n = heap.size();
        while (true) {
            int l = 2 * i + 1;
            if (l >= n) return;
            int m = l + 1 < n && heap.get(l + 1).count < heap.get(l).count ? l + 1 : l;
            if (heap.get(i).count <= heap.get(m).count) return;
            swap(i, m);
            i = m;
        }
    }

    private void swap(int a, int b) {
        Node<K> x = heap.get(a);
        Node<K> y = heap.get(b);
        heap.set(a, y);
        heap.set(b, x);
        x.index = b;
        y.index = a;
    }
}
