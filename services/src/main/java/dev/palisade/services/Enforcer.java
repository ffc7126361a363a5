package dev.palisade.services;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.table.Origin;
import java.time.Instant;

/**
 * Puts a ban into the kernel's sets at once, on the caller's thread, ahead of
 * its durable write: the tripwire's fast path.
 *
 * <p>Why: the normal path of a ban crosses three threads before the kernel
 * drops the source (the queue reader hands it to the ban queue's worker, whose
 * table write wakes the kernel side's sync thread, which sends the set add).
 * On a busy machine each hand-off is a wake-up that waits for a CPU, and the
 * ban queue's own work (the journal, the fsync, the log line) competes with
 * the set add for it; measured, those waits made the 1-in-10 tail of
 * tripwire-latency.sh (10-80 ms against a median of 2-3 ms). A reader that
 * is already running and sends the set add itself (one netlink transaction,
 * a few hundred microseconds) waits for nobody. The durable write follows as
 * before and finds the kernel already holding the element.
 *
 * <p>palisaded binds it to the kernel side; without a kernel it is {@link #NONE}.
 */
@FunctionalInterface
public interface Enforcer {

    /** Never enforces: for running without a kernel, and for tests. */
    Enforcer NONE = (table, address, expires, origin) -> false;

    /**
     * Adds {@code address} to the kernel sets of {@code table} now, when the
     * durable add that the caller is about to queue would be accepted (the
     * same allowlist, const and table checks). Never waits for the kernel
     * side (its lock is only tried), never recomputes a table: false whenever it did not enforce
     * (busy, refused, no kernel set, already there, a netlink error), and then
     * the durable add's own push puts it there as before.
     *
     * @param expires when the ban ends, or null for never (as the durable add gets it)
     * @return true when the kernel now drops {@code address}'s packets
     */
    boolean enforceNow(String table, IpAddress address, Instant expires, Origin origin);
}
