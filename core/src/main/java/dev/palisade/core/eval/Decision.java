package dev.palisade.core.eval;

/**
 * What the evaluator decided about one packet.
 *
 * @param pass         true to pass, false to block
 * @param reason       why
 * @param rule         the deciding rule's number ({@code -1}: none, i.e. pf's default rule, a skipped
 *                     interface, a malformed packet); for {@link Reason#STATE} the rule that created the state
 * @param state        the state matched or created, or -1
 * @param stateCreated true when this packet created {@code state}
 * @param tag          the packet's tag after evaluation, or null
 * @param log          log bits of the deciding rule and of the matching {@code match} rules
 * @param reply        the packet pf sends back for {@code block return*} (a RST or an ICMP error), or null
 */
public record Decision(boolean pass, Reason reason, int rule, int state, boolean stateCreated, String tag,
                       int log, byte[] reply) {

    /** Why a packet passed or was blocked. */
    public enum Reason {
        /** A rule decided. */
        RULE,
        /** No rule matched: pf's default rule passes without state. */
        DEFAULT,
        /** An existing state matched. */
        STATE,
        /** A state matched but the packet is outside its windows (pf's state-mismatch). */
        BAD_STATE,
        /** The packet could not be decoded (pf drops it: short, bad offset...). */
        MALFORMED,
        /** {@code set skip on} the interface: no filtering. */
        SKIP,
        /** The state could not be created (state limit or the rule's {@code max}). */
        STATE_LIMIT,
        /** {@code max-src-conn} / {@code max-src-conn-rate} exceeded. */
        SRC_LIMIT
    }

    /** {@code block return-rst} / {@code return-icmp} text for the reply, or "" when none. */
    public String replyKind() {
        if (reply == null) return "";
        int proto = (reply[0] >>> 4) == 6 ? reply[6] & 0xff : reply[9] & 0xff;
        return proto == 6 ? "return-rst" : "return-icmp";
    }
}
