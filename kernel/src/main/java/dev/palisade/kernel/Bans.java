package dev.palisade.kernel;

import dev.palisade.core.net.IpPrefix;
import dev.palisade.kernel.conntrack.Conntrack;
import dev.palisade.kernel.netlink.ErrnoException;
import dev.palisade.kernel.nft.NftSet;
import dev.palisade.kernel.nft.NftSets;
import dev.palisade.kernel.nft.SetElement;

import java.util.Collection;
import java.util.List;

/**
 * A ban as PF's overload does it ({@code overload <t> flush global}):
 * the addresses go into a kernel set in one transaction, then every
 * conntrack entry they opened is deleted, so established connections die
 * too. The set add comes first: once it returns, new packets from the
 * hosts are dropped; the kill then walks the conntrack table (milliseconds).
 */
public final class Bans {

    /** What one ban did: elements added and conntrack entries deleted. */
    public record Outcome(int added, int statesKilled) {}

    private final NftSets sets;
    private final Conntrack conntrack;

    public Bans(NftSets sets, Conntrack conntrack) {
        this.sets = sets;
        this.conntrack = conntrack;
    }

    /** Adds {@code elements} to {@code set}, then kills the states their addresses opened. */
    public Outcome ban(NftSet set, Collection<SetElement> elements) throws ErrnoException {
        sets.add(set, elements);
        List<IpPrefix> prefixes = elements.stream().map(SetElement::prefix).toList();
        return new Outcome(elements.size(), conntrack.kill(prefixes, Conntrack.Match.SOURCE));
    }

    /** {@code pfctl -k HOST}: kills the states of connections {@code prefixes} opened, banning nothing. */
    public int killStates(Collection<IpPrefix> prefixes) throws ErrnoException {
        return conntrack.kill(prefixes, Conntrack.Match.SOURCE);
    }
}
