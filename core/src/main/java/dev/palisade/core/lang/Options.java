package dev.palisade.core.lang;

import java.util.List;
import java.util.Map;

/**
 * The effective {@code set} options after the whole file (later settings win).
 * Absent numbers are -1, absent names null.
 *
 * @param timeouts global timeouts: name (see {@link Names#TIMEOUTS}) to seconds
 * @param limits   {@code set limit}: name to value
 */
public record Options(boolean blockReturn, boolean stateIfBound, List<String> skip, Map<String, Integer> timeouts,
                      Map<String, Long> limits, String optimization, String loginterface, long hostid,
                      Boolean reassemble, boolean reassembleNoDf, String debug, String rulesetOptimization,
                      String syncookies, String fingerprints) {
    public Options {
        skip = List.copyOf(skip);
        timeouts = Map.copyOf(timeouts);
        limits = Map.copyOf(limits);
    }
}
