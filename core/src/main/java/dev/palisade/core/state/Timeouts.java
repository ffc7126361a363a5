package dev.palisade.core.state;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/**
 * A set of timeout values (global {@code set timeout}, or a rule's own
 * {@code (tcp.established 600, ...)} on top of the global ones). Immutable.
 */
public final class Timeouts {
    private static final Timeout[] ALL = Timeout.values();
    private final int[] values;

    private Timeouts(int[] values) {
        this.values = values;
    }

    /** pf's defaults. */
    public static Timeouts defaults() {
        int[] v = new int[ALL.length];
        for (Timeout t : ALL) v[t.ordinal()] = t.defaultValue();
        return new Timeouts(v);
    }

    /** These values with some replaced. */
    public Timeouts with(Map<Timeout, Integer> changes) {
        int[] v = values.clone();
        for (Map.Entry<Timeout, Integer> e : changes.entrySet()) {
            int s = e.getValue();
            if (s < 0) {
                throw new IllegalArgumentException("timeout " + e.getKey().pfName() + " must be >= 0, got " + s);
            }
            v[e.getKey().ordinal()] = s;
        }
        if (v[Timeout.ADAPTIVE_START.ordinal()] > v[Timeout.ADAPTIVE_END.ordinal()] && v[Timeout.ADAPTIVE_END.ordinal()] != 0) {
            throw new IllegalArgumentException("adaptive.start " + v[Timeout.ADAPTIVE_START.ordinal()]
                    + " must not exceed adaptive.end " + v[Timeout.ADAPTIVE_END.ordinal()]);
        }
        return new Timeouts(v);
    }

    /** One value replaced. */
    public Timeouts with(Timeout t, int seconds) {
        Map<Timeout, Integer> m = new EnumMap<>(Timeout.class);
        m.put(t, seconds);
        return with(m);
    }

    public int get(Timeout t) {
        return values[t.ordinal()];
    }

    int get(int ordinal) {
        return values[ordinal];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Timeouts t && Arrays.equals(values, t.values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Timeout t : ALL) {
            sb.append(String.format("%-20s%d%s%n", t.pfName(), values[t.ordinal()],
                    t == Timeout.ADAPTIVE_START || t == Timeout.ADAPTIVE_END ? " states" : "s"));
        }
        return sb.toString();
    }
}
