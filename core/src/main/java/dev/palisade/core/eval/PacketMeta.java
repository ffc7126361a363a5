package dev.palisade.core.eval;

import java.util.Objects;

/**
 * What the evaluator knows about a packet besides its bytes: the interface
 * it crosses, its direction, and the owner of the local socket.
 *
 * @param ifname the interface the packet goes in or out on
 * @param in     true for in, false for out
 * @param uid    the local socket's user id, or {@link #UNKNOWN} (forwarded packets, no socket)
 * @param gid    the local socket's group id, or {@link #UNKNOWN}
 */
public record PacketMeta(String ifname, boolean in, long uid, long gid) {
    /** pf's UID_MAX / GID_MAX: no socket, so no owner. */
    public static final long UNKNOWN = 0xffffffffL;

    public PacketMeta {
        Objects.requireNonNull(ifname, "ifname");
        if (uid < 0 || uid > UNKNOWN) throw new IllegalArgumentException("uid out of range 0..4294967295: " + uid);
        if (gid < 0 || gid > UNKNOWN) throw new IllegalArgumentException("gid out of range 0..4294967295: " + gid);
    }

    /** A packet with no known socket owner (what a capture replay knows). */
    public static PacketMeta of(String ifname, boolean in) {
        return new PacketMeta(ifname, in, UNKNOWN, UNKNOWN);
    }
}
