package dev.palisade.kernel.nft;

import dev.palisade.core.net.IpPrefix;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What to change in a kernel set so that it holds what a table wants:
 * prefixes to delete, elements to add, and how many stay untouched. Pure.
 *
 * <p>Why a diff: flushing and refilling a set opens a window in which banned
 * hosts pass; a diff applied in one transaction never does, and leaves
 * elements that are right alone (their kernel timers keep running).
 * An element with a timeout is re-asserted (deleted and added again in the
 * same transaction) when the kernel's remaining time is off from the
 * wanted one by more than {@code toleranceMillis}: kernels before 6.10 do
 * not refresh a timeout on re-add.
 */
public record SetDiff(List<IpPrefix> delete, List<SetElement> add, int unchanged) {

    public SetDiff {
        delete = List.copyOf(delete);
        add = List.copyOf(add);
    }

    public boolean isEmpty() {
        return delete.isEmpty() && add.isEmpty();
    }

    /**
     * The elements minus those inside another element's prefix (same
     * family): an interval set refuses overlapping intervals (EEXIST), and
     * a covered prefix adds nothing to what the set matches. Sorted by
     * address. XXX a covered element that outlives its cover is missing
     * from the kernel after the cover expires, until the daemon's next
     * reconcile adds it back.
     */
    public static List<SetElement> covering(Collection<SetElement> elements) {
        List<SetElement> sorted = new ArrayList<>(elements);
        sorted.sort((x, y) -> x.prefix().compareTo(y.prefix()));
        List<SetElement> out = new ArrayList<>(sorted.size());
        SetElement cover = null;
        for (SetElement e : sorted) {
            IpPrefix p = e.prefix();
            if (cover != null && cover.prefix().v6() == p.v6() && cover.prefix().length() <= p.length()
                    && cover.prefix().contains(p.address())) {
                continue;
            }
            out.add(e);
            cover = e;
        }
        return out;
    }

    /**
     * {@code kernel}: as listed (expiresMillis = time left); {@code wanted}:
     * timeoutMillis = the lifetime it should have left now (0: forever).
     */
    public static SetDiff compute(Collection<SetElement> kernel, Collection<SetElement> wanted, long toleranceMillis) {
        Map<IpPrefix, SetElement> have = new HashMap<>();
        for (SetElement e : kernel) have.put(e.prefix(), e);
        Map<IpPrefix, SetElement> want = new TreeMap<>();
        for (SetElement e : wanted) want.put(e.prefix(), e);
        List<IpPrefix> del = new ArrayList<>();
        List<SetElement> add = new ArrayList<>();
        int same = 0;
        for (SetElement w : want.values()) {
            SetElement h = have.get(w.prefix());
            if (h == null) {
                add.add(w);
            } else if (w.timeoutMillis() != 0 && (h.expiresMillis() == 0
                    || Math.abs(h.expiresMillis() - w.timeoutMillis()) > toleranceMillis)) {
                del.add(w.prefix());
                add.add(w);
            } else if (w.timeoutMillis() == 0 && h.expiresMillis() != 0) {
                del.add(w.prefix());
                add.add(w);
            } else {
                same++;
            }
        }
        for (IpPrefix p : new TreeMap<>(have).keySet()) {
            if (!want.containsKey(p)) del.add(p);
        }
        return new SetDiff(del, add, same);
    }
}
