package dev.palisade.core.tabled;

/**
 * Why a pftabled datagram was dropped. Each has a stable metric label
 * ({@link #label()}) and a short text for logs ({@link #text()}). The first
 * group comes from {@link TabledProtocol} (the datagram itself), the second
 * from {@link TabledApplier} (what the tables said).
 */
public enum RejectReason {
    /** Not 64 bytes (versions 0 to 2) or 112 bytes (version 3). */
    WRONG_SIZE("wrong size"),
    /** A version byte above 3. */
    BAD_VERSION("unknown protocol version"),
    /** Version 0 to 2 while the server accepts version 3 only. */
    VERSION_DISABLED("protocol version disabled"),
    /** Version 3 while the server has no 32-byte key. */
    NO_KEY("version 3 needs a 32-byte key on the server"),
    /** The peer sent more than its rate allows. */
    RATE_LIMITED("rate limited"),
    /** The HMAC does not match. */
    BAD_MAC("bad MAC"),
    /** The timestamp is more than the window behind the server's clock. */
    STALE("stale timestamp"),
    /** The timestamp is more than the window ahead of the server's clock. */
    FUTURE("timestamp in the future"),
    /** A command byte other than 1, 2 and 3. */
    BAD_COMMAND("unknown command"),
    /** The 32-byte table name has no NUL. */
    UNTERMINATED_NAME("unterminated table name"),
    /** The table name is empty or has a byte that is not printable ASCII. */
    BAD_TABLE_NAME("bad table name"),
    /** A prefix length over 32 (IPv4) or 128 (IPv6). */
    MASK_TOO_LONG("prefix length too long"),
    /** Prefix length 0 with a non-zero address: almost surely not what the sender meant. */
    HOST_BITS_WITH_MASK_0("address bits with prefix length 0"),
    /** Version 3: an address family other than 4 and 6. */
    BAD_FAMILY("unknown address family"),
    /** Version 3: a field that must be zero is not (padding, flush's address, a lifetime on delete). */
    NOT_CANONICAL("non-canonical encoding"),
    /** The same datagram was already accepted within the window. */
    REPLAYED("replayed"),
    /** The replay cache was full and forgot datagrams this old: refused rather than risk a replay. */
    REPLAY_CACHE_FULL("replay cache full for this timestamp"),
    /** The table does not exist and the server does not create tables. */
    UNKNOWN_TABLE("unknown table"),
    /** The address is on the allowlist. */
    ALLOWLISTED("allowlisted"),
    /** The table is const. */
    CONST_TABLE("const table"),
    /** The tables refused the change with an error (see the log). */
    APPLY_FAILED("tables error");

    private final String text;

    RejectReason(String text) {
        this.text = text;
    }

    /** Short text for log lines. */
    public String text() {
        return text;
    }

    /** The metric label: the name in lower case. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
