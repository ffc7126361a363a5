package dev.palisade.services.payload.url;

/**
 * What a parser found at the start of a client's byte stream: the name the
 * client asks for, or why there is none.
 */
public sealed interface HostName {

    /** The name (lower case, no port, no trailing dot) from the TLS SNI or the HTTP Host header. */
    record Found(String name) implements HostName {
        public Found {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("host name must not be empty");
        }
    }

    /** The message is complete and names no host (no SNI extension, no Host header). */
    record Absent() implements HostName {}

    /** The bytes so far are a valid beginning; the name, if any, comes later. */
    record NeedMore() implements HostName {}

    /** Not this protocol, or malformed: {@code why} says which check failed. */
    record NotMatched(String why) implements HostName {}

    HostName ABSENT = new Absent();
    HostName NEED_MORE = new NeedMore();
}
