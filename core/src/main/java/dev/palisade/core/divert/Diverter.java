package dev.palisade.core.divert;

import java.util.function.Consumer;

/**
 * A user-space packet judge behind {@code divert-packet port N}, as programs
 * behind OpenBSD's divert(4) sockets are. Called on the queue's reader
 * thread: it must not block. It answers through {@code verdict} exactly once,
 * at once or later from another thread (a DNS lookup, say).
 */
public interface Diverter {

    /** A short name for logs and metrics ("tripwire", "dnsbl", "redact"). */
    String name();

    void divert(DivertedPacket packet, Consumer<Verdict> verdict);
}
