package dev.palisade.core.state;

/**
 * What a rule asks of the states it creates ({@code keep state},
 * {@code modulate state}, {@code (sloppy, max N, if-bound, tcp.first 10)}).
 * Built once per rule at load time.
 *
 * @param ruleId    the creating rule's number (counters, {@code max})
 * @param modulate  {@code modulate state}: replace the initiator's ISN by a random one (TCP SYN only)
 * @param sloppy    {@code sloppy}: TCP state machine without sequence-window checks
 * @param maxStates {@code max N}: states this rule may hold at once, 0 for no limit
 * @param ifBound   state bound to the interface it was created on (else floating)
 * @param timeouts  the rule's timeouts (global ones with the rule's overrides), or null for the table's
 */
public record StateOptions(int ruleId, boolean modulate, boolean sloppy, int maxStates, boolean ifBound, Timeouts timeouts) {
    public StateOptions {
        if (ruleId < 0) throw new IllegalArgumentException("rule id must be >= 0, got " + ruleId);
        if (maxStates < 0) throw new IllegalArgumentException("max states must be >= 0, got " + maxStates);
    }

    /** Plain {@code keep state} for rule {@code ruleId}. */
    public static StateOptions keep(int ruleId) {
        return new StateOptions(ruleId, false, false, 0, false, null);
    }
}
