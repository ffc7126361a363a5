package dev.palisade.core.table;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Networks that automatic entry points (tripwire, trap, DNSBL, pftabled,
 * overload) must never ban: by default the host's own addresses and
 * loopback, plus configured networks. Each network carries the reason shown
 * in the refusal ("loopback", "own address", "allowlist in palisade.conf").
 * A prefix that overlaps the allowlist (a network containing an allowed
 * address) is refused too: banning 127.0.0.0/7 bans loopback.
 *
 * <p>Immutable; built once per configuration load.
 */
public final class Allowlist {

    /** One allowed network and why. */
    public record Allowed(IpPrefix prefix, String reason) {
        public Allowed {
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(reason, "reason");
        }
    }

    public static final Allowlist EMPTY = new Allowlist(List.of());

    private final List<Allowed> networks;

    public Allowlist(List<Allowed> networks) {
        this.networks = List.copyOf(networks);
    }

    /** Loopback (127.0.0.0/8, ::1) plus {@code own} addresses and {@code configured} networks. */
    public static Allowlist of(List<IpAddress> own, List<IpPrefix> configured) {
        List<Allowed> l = new ArrayList<>();
        l.add(new Allowed(IpPrefix.parse("127.0.0.0/8"), "loopback"));
        l.add(new Allowed(IpPrefix.parse("::1"), "loopback"));
        for (IpAddress a : own) l.add(new Allowed(IpPrefix.host(a.unmapV4()), "own address"));
        for (IpPrefix p : configured) l.add(new Allowed(p, "allowlist"));
        return new Allowlist(l);
    }

    public List<Allowed> networks() {
        return networks;
    }

    /** The allowlisted network that overlaps {@code p}, or null. */
    public Allowed overlapping(IpPrefix p) {
        for (Allowed a : networks) {
            IpPrefix n = a.prefix();
            if (n.v6() != p.v6()) continue;
            if (n.contains(p.address()) || p.contains(n.address())) return a;
        }
        return null;
    }
}
