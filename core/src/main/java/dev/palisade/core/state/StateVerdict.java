package dev.palisade.core.state;

/** Outcome of looking a packet up in the state table. */
public enum StateVerdict {
    /** No state matches: evaluate the rules. */
    NO_STATE,
    /** A state matches and the packet fits it: pass without rule evaluation. */
    PASS,
    /** A state matches but the packet is outside its windows: drop ({@code state-mismatch}). */
    BAD_STATE,
    /**
     * A new SYN for a state whose both ends are closed: the old state was
     * removed and the SYN must be evaluated by the rules (pf's state reuse).
     */
    REUSED
}
