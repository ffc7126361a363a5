package dev.palisade.core.table;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.time.Instant;

/**
 * The named address tables as the rest of the system writes them: the
 * tripwire, the trap listener, the DNSBL gate, pftabled and overload rules.
 * palisaded's implementation is durable: a call returns only when the change
 * is on disk (group commit), and the kernel sets follow in batches.
 *
 * <p>Automatic entry points pass an {@link Origin} other than
 * {@link Origin.Manual}; for those the allowlist is checked and a refused ban
 * is reported as {@link AddOutcome#REFUSED_ALLOWLIST}.
 */
public interface Tables {

    /** What an add did. */
    enum AddOutcome {
        /** A new entry. */
        ADDED,
        /** The entry was there; its lifetime (and origin) were refreshed. */
        REFRESHED,
        /** The address is on the allowlist; nothing changed. */
        REFUSED_ALLOWLIST,
        /** No such table, and the caller did not ask for it to be created. */
        NO_SUCH_TABLE,
        /** The table is const. */
        REFUSED_CONST
    }

    /**
     * Adds {@code prefix} to {@code table}, or refreshes it.
     *
     * @param expires when the entry expires, or null for never
     */
    AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin);

    /** Deletes the exact prefix; true when it was there. */
    boolean delete(String table, IpPrefix prefix);

    /** Deletes every entry; returns how many there were. */
    int flush(String table);

    boolean exists(String table);

    /** Creates an empty table (flags: none) if it does not exist; true when created. */
    boolean create(String table);

    /** Longest-prefix match with negated entries, as pf's radix tables answer it. */
    boolean matches(String table, IpAddress address);
}
