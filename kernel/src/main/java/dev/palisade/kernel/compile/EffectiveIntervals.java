package dev.palisade.kernel.compile;

import dev.palisade.core.lang.Decl.TableEntry;
import dev.palisade.core.net.IpPrefix;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The addresses a pf table matches, as disjoint prefixes an nftables
 * interval set can hold.
 *
 * <p>Why: pf matches an address against a table by its LONGEST matching
 * entry; the address is in the table when that entry is not negated
 * ({@code !10.1.2.0/24} inside {@code 10.1.0.0/16} punches a hole, and
 * {@code 10.1.2.3} inside that hole fills it again). An nft interval set has
 * no negation, so the table engine loads the effective set instead: every
 * positive entry minus the more specific entries inside it, plus what those
 * add back, recursively.
 *
 * <p>How: CIDR prefixes are either nested or disjoint, so the entries form a
 * forest. Entries sorted by (address, length) visit every parent before its
 * children; a stack of open ancestors gives each entry its parent. A
 * positive node contributes its prefix minus its children's prefixes, which
 * is computed by halving the prefix until each half is either free of
 * children (kept whole), equal to a child (dropped) or holds children
 * (halved again): at most 128 halvings per child. Cost O(n log n + n·bits);
 * the result is sorted, disjoint, and has no more than (bits+1)·n prefixes.
 * The same prefix given both plain and negated counts as negated (pf keeps
 * one entry per prefix; we take the safer reading).
 */
public final class EffectiveIntervals {

    private EffectiveIntervals() {}

    /** The disjoint prefixes, sorted, that match exactly the addresses the table matches. Mixed families are fine. */
    public static List<IpPrefix> effectiveIntervals(List<TableEntry> entries) {
        Map<IpPrefix, Boolean> negated = new LinkedHashMap<>();
        for (TableEntry e : entries) negated.merge(e.prefix(), e.negated(), Boolean::logicalOr);
        List<IpPrefix> sorted = new ArrayList<>(negated.keySet());
        sorted.sort(Comparator.comparing((IpPrefix p) -> p.v6()).thenComparing(IpPrefix::address)
                .thenComparingInt(IpPrefix::length));
        // children of each node (and the roots under a null parent), in sorted order
        Map<IpPrefix, List<IpPrefix>> children = new LinkedHashMap<>();
        List<IpPrefix> roots = new ArrayList<>();
        List<IpPrefix> stack = new ArrayList<>();
        for (IpPrefix p : sorted) {
            while (!stack.isEmpty() && !covers(stack.getLast(), p)) stack.removeLast();
            if (stack.isEmpty()) roots.add(p);
            else children.computeIfAbsent(stack.getLast(), k -> new ArrayList<>()).add(p);
            stack.add(p);
        }
        List<IpPrefix> out = new ArrayList<>();
        for (IpPrefix r : roots) walk(r, negated, children, out);
        out.sort(Comparator.comparing((IpPrefix p) -> p.v6()).thenComparing(IpPrefix::address));
        return out;
    }

    private static void walk(IpPrefix node, Map<IpPrefix, Boolean> negated, Map<IpPrefix, List<IpPrefix>> children,
                             List<IpPrefix> out) {
        List<IpPrefix> kids = children.getOrDefault(node, List.of());
        if (!negated.get(node)) subtract(node, kids, out);
        for (IpPrefix k : kids) walk(k, negated, children, out);
    }

    /** Appends {@code p} minus the union of {@code holes} (all inside p, disjoint). */
    static void subtract(IpPrefix p, List<IpPrefix> holes, List<IpPrefix> out) {
        if (holes.isEmpty()) {
            out.add(p);
            return;
        }
        for (IpPrefix h : holes) if (h.equals(p)) return;
        int len = p.length() + 1;
        IpPrefix lo = new IpPrefix(p.address(), len);
        IpPrefix hi = new IpPrefix(p.address().fillHostBits(p.length()).mask(len), len);
        List<IpPrefix> inLo = new ArrayList<>(), inHi = new ArrayList<>();
        for (IpPrefix h : holes) (covers(lo, h) ? inLo : inHi).add(h);
        subtract(lo, inLo, out);
        subtract(hi, inHi, out);
    }

    /** Whether {@code outer} contains {@code inner} (same family, shorter or equal length, same leading bits). */
    static boolean covers(IpPrefix outer, IpPrefix inner) {
        return outer.v6() == inner.v6() && outer.length() <= inner.length()
                && inner.address().mask(outer.length()).equals(outer.address());
    }
}
