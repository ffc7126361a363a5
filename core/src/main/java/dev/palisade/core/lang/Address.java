package dev.palisade.core.lang;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.util.Objects;

/**
 * One address of a rule after expansion (pf's {@code pf_addr_wrap}): what a
 * {@code from}/{@code to} side, a pool or a route target names. Negation is
 * not part of the address; see {@link AddrMatch}.
 */
public sealed interface Address {

    /** The address family this address fixes: {@link Af#ANY} for names resolved later. */
    Af af();

    /** {@code any}. */
    record Any() implements Address {
        public Af af() {
            return Af.ANY;
        }
    }

    /**
     * An address or a network (host bits cleared). {@code scope} is the
     * interface of a scoped IPv6 address ({@code fe80::1%lo0}), else null.
     */
    record Prefix(IpPrefix prefix, String scope) implements Address {
        public Prefix {
            Objects.requireNonNull(prefix, "prefix");
        }

        public Af af() {
            return prefix.v6() ? Af.INET6 : Af.INET;
        }
    }

    /** {@code from - to}, both ends included, one family. */
    record Range(IpAddress from, IpAddress to) implements Address {
        public Range {
            if (from.v6() != to.v6()) {
                throw new IllegalArgumentException("address range mixes families: " + from + " - " + to);
            }
        }

        public Af af() {
            return from.v6() ? Af.INET6 : Af.INET;
        }
    }

    /** {@code <name>}: a table, filled at run time. */
    record Table(String name) implements Address {
        public Af af() {
            return Af.ANY;
        }
    }

    /**
     * {@code (ifname[:network|:broadcast|:peer][:0])[/mask]}: the interface's
     * addresses as they are at run time. {@code mask} is -1 when not given.
     */
    record Dynamic(String ifname, boolean network, boolean broadcast, boolean peer, boolean noAlias, int mask)
            implements Address {
        public Dynamic {
            if (mask < -1 || mask > 128) throw new IllegalArgumentException("mask out of range 0..128: " + mask);
        }

        public Af af() {
            return Af.ANY;
        }
    }

    /** {@code no-route}: the source/destination has no route. */
    record NoRoute() implements Address {
        public Af af() {
            return Af.ANY;
        }
    }

    /** {@code urpf-failed}: the source fails the unicast reverse path check. */
    record UrpfFailed() implements Address {
        public Af af() {
            return Af.ANY;
        }
    }

    /** {@code route "label"}: addresses whose route carries that label. */
    record RouteLabel(String label) implements Address {
        public Af af() {
            return Af.ANY;
        }
    }

    Any ANY = new Any();
}
