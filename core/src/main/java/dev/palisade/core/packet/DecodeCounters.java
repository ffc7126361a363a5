package dev.palisade.core.packet;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts decoded packets by {@link Malformed} class, like pf's reason
 * counters in {@code pfctl -s info}. Not thread safe: one per decoding loop,
 * merge with {@link #add(DecodeCounters)}.
 */
public final class DecodeCounters {
    private final long[] counts = new long[Malformed.values().length];
    private long total;

    /** Counts the outcome of one decode and returns it. */
    public Malformed count(Malformed m) {
        counts[m.ordinal()]++;
        total++;
        return m;
    }

    /** Counts the outcome of {@code p}'s last decode. */
    public Malformed count(Packet p) {
        return count(p.malformed());
    }

    public long total() {
        return total;
    }

    public long get(Malformed m) {
        return counts[m.ordinal()];
    }

    /** Packets decoded without fault. */
    public long ok() {
        return counts[Malformed.NONE.ordinal()];
    }

    /** Packets with any fault. */
    public long malformed() {
        return total - ok();
    }

    public void add(DecodeCounters other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
    }

    /** Counts by pf reason name ({@code short}, {@code bad-offset}, {@code fragment}, ...), faults only, in pf's order. */
    public Map<String, Long> byPfReason() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String r : new String[] {"bad-offset", "fragment", "short", "ip-option"}) {
            m.put(r, 0L);
        }
        for (Malformed c : Malformed.values()) {
            if (c != Malformed.NONE) {
                m.merge(c.pfReason(), counts[c.ordinal()], Long::sum);
            }
        }
        return m;
    }

    /** Counts by class, faults only, non-zero only. */
    public Map<Malformed, Long> byClass() {
        Map<Malformed, Long> m = new LinkedHashMap<>();
        for (Malformed c : Malformed.values()) {
            if (c != Malformed.NONE && counts[c.ordinal()] != 0) {
                m.put(c, counts[c.ordinal()]);
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return "DecodeCounters{total=" + total + ", ok=" + ok() + ", " + byClass() + "}";
    }
}
