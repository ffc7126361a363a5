package dev.palisade.core.tabled;

/** What {@link TabledProtocol#handle} decided about one datagram. */
public sealed interface TabledDecision {

    /**
     * An authentic, fresh, well-formed datagram: apply {@code command}.
     *
     * @param version   the datagram's version byte (0 to 3)
     * @param timestamp the datagram's timestamp, Unix seconds
     */
    record Accepted(int version, TableCommand command, long timestamp) implements TabledDecision {
        public Accepted {
            if (command == null) throw new IllegalArgumentException("command must not be null");
        }
    }

    /**
     * A dropped datagram.
     *
     * @param detail what exactly was wrong, for the log (never null)
     */
    record Rejected(RejectReason reason, String detail) implements TabledDecision {
        public Rejected {
            if (reason == null) throw new IllegalArgumentException("reason must not be null");
            if (detail == null) detail = reason.text();
        }
    }
}
