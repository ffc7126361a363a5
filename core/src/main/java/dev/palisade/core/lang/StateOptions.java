package dev.palisade.core.lang;

import java.util.Map;
import java.util.TreeMap;

/**
 * The options of {@code keep state (...)} after pf's parse-time defaults
 * (implied {@code source-track}, {@code src.track} from a connection rate,
 * {@code adaptive.start/end} from {@code max}). Counts are 0 when absent.
 *
 * @param timeouts per-rule timeouts: index into {@link Names#TIMEOUTS} to seconds
 */
public record StateOptions(long max, boolean noSync, boolean pflow, SourceTrack sourceTrack,
                           long maxSrcStates, long maxSrcConn, long maxSrcConnRate, long maxSrcConnRateSeconds,
                           long maxSrcNodes, String overload, Flush flush, boolean ifBound, boolean floating,
                           boolean sloppy, Map<Integer, Integer> timeouts) {

    public static final StateOptions NONE = new StateOptions(0, false, false, SourceTrack.NONE, 0, 0, 0, 0, 0,
            null, Flush.NONE, false, false, false, Map.of());

    public StateOptions {
        timeouts = java.util.Collections.unmodifiableMap(new TreeMap<>(timeouts));
    }

    public enum SourceTrack { NONE, GLOBAL, RULE }

    /** {@code overload <t> flush [global]}. */
    public enum Flush { NONE, FLUSH, GLOBAL }

    /** Whether pfctl prints a parenthesised option list for these options. */
    public boolean any() {
        return max != 0 || maxSrcNodes != 0 || maxSrcStates != 0 || noSync || sourceTrack != SourceTrack.NONE
                || ifBound || sloppy || pflow || !timeouts.isEmpty();
    }
}
