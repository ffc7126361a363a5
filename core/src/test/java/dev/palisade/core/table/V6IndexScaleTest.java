package dev.palisade.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The IPv6 flat index at scale: over 64Ki IPv6 entries (so the index widens
 * to 2^20 buckets), clustered so that they nest, with negated entries,
 * prefixes shorter than a bucket, adds and deletes one at a time and a bulk
 * replay, against an oracle that knows nothing of tries (a hash set per prefix
 * length, probed from /128 down). Probes hit entries' first and last
 * addresses and their neighbours, where flip points are.
 */
class V6IndexScaleTest {

    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);

    private static final class Oracle {
        final List<Map<Long, Map<Long, Boolean>>> byLen = new ArrayList<>();

        Oracle() {
            for (int i = 0; i <= 128; i++) byLen.add(new HashMap<>());
        }

        void put(long hi, long lo, int len, boolean neg) {
            byLen.get(len).computeIfAbsent(hi & PrefixTrie.MASK_HI[len], k -> new HashMap<>()).put(lo & PrefixTrie.MASK_LO[len], neg);
        }

        boolean remove(long hi, long lo, int len) {
            Map<Long, Boolean> m = byLen.get(len).get(hi & PrefixTrie.MASK_HI[len]);
            return m != null && m.remove(lo & PrefixTrie.MASK_LO[len]) != null;
        }

        boolean matches(long hi, long lo) {
            for (int len = 128; len >= 0; len--) {
                Map<Long, Boolean> m = byLen.get(len).get(hi & PrefixTrie.MASK_HI[len]);
                if (m == null) continue;
                Boolean neg = m.get(lo & PrefixTrie.MASK_LO[len]);
                if (neg != null) return !neg;
            }
            return false;
        }
    }

    private static long[] randomPrefix(SplittableRandom r) {
        // a few hundred /32s, some dense /48s inside them, and hosts
        long hi = 0x2000000000000000L | ((long) r.nextInt(4) << 56) | ((long) r.nextInt(300) << 32);
        if (r.nextInt(3) == 0) hi |= (long) r.nextInt(8) << 16;
        else hi |= r.nextLong() & 0xffffffffL;
        long lo = r.nextInt(4) == 0 ? r.nextInt(64) : r.nextLong();
        int k = r.nextInt(100);
        int len = k < 45 ? 128 : k < 60 ? 64 : k < 75 ? 48 : k < 85 ? 32 + r.nextInt(97) : k < 99 ? 16 + r.nextInt(16) : r.nextInt(40) == 0 ? r.nextInt(16) : 20 + r.nextInt(12);
        return new long[] {hi, lo, len};
    }

    private static void probe(AddressTable t, Oracle o, long hi, long lo, int len, String what) {
        long sh = hi & PrefixTrie.MASK_HI[len];
        long sl = lo & PrefixTrie.MASK_LO[len];
        long eh = sh | ~PrefixTrie.MASK_HI[len];
        long el = sl | ~PrefixTrie.MASK_LO[len];
        long[][] pts = {{sh, sl}, {eh, el}, {sl == 0 ? sh - 1 : sh, sl - 1}, {el == -1 ? eh + 1 : eh, el + 1}, {hi, lo}};
        for (long[] p : pts) {
            assertEquals(o.matches(p[0], p[1]), t.matchesV6(p[0], p[1]),
                    what + ": lookup " + IpAddress.ofV6(p[0], p[1]) + " near " + new IpPrefix(IpAddress.ofV6(sh, sl), len));
        }
    }

    @Test
    void largeIpv6TableAgreesWithOracle() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        TableSet set = new TableSet(CLOCK, Allowlist.EMPTY);
        set.create("t", TableFlags.PERSIST);
        AddressTable t = set.table("t");
        Oracle o = new Oracle();
        List<long[]> added = new ArrayList<>();
        Origin origin = new Origin.Manual("t");
        churn(t, o, added, origin, r, seed, 130_000, V6IndexScaleTest::randomPrefix, 20, 5, 97);
        assertTrue(t.v6.size() >= AddressTable.V6_WIDE, "the table grew past the wide index: " + t.v6.size());
        assertEquals(20, t.v6IndexBits(), "lookups went through the wide flat index");
        for (int q = 0; q < 20_000; q++) {
            long[] p = r.nextBoolean() ? added.get(r.nextInt(added.size())) : randomPrefix(r);
            probe(t, o, p[0], p[1], (int) p[2], "final, seed " + seed);
        }
        // a bulk replay builds the index once at the end and answers the same
        TableSet copy = new TableSet(CLOCK, Allowlist.EMPTY);
        t.forEachEntry(e -> copy.apply(new Mutation.Add("t", e.prefix(), e.negated(), 1, 0, origin), 0));
        copy.finishReplay();
        AddressTable c = copy.table("t");
        for (int q = 0; q < 20_000; q++) {
            long[] p = r.nextBoolean() ? added.get(r.nextInt(added.size())) : randomPrefix(r);
            probe(c, o, p[0], p[1], (int) p[2], "replayed, seed " + seed);
        }
    }

    /**
     * {@code steps} random changes checked against the oracle after each: an add of a fresh
     * prefix from {@code gen} (negated one time in {@code negOdds}), or one time in
     * {@code addOdds} the delete of an earlier one; with {@code probeEvery > 0} an extra probe
     * every that many steps. The adds go to {@code added}.
     */
    private static void churn(AddressTable t, Oracle o, List<long[]> added, Origin origin, SplittableRandom r, long seed,
                              int steps, java.util.function.Function<SplittableRandom, long[]> gen, int addOdds, int negOdds,
                              int probeEvery) {
        for (int step = 0; step < steps; step++) {
            long[] p = gen.apply(r);
            IpPrefix ip = new IpPrefix(IpAddress.ofV6(p[0], p[1]), (int) p[2]);
            if (r.nextInt(addOdds) > 0 || added.isEmpty()) {
                boolean neg = r.nextInt(negOdds) == 0;
                t.put(ip, neg, 1, 0, origin);
                o.put(p[0], p[1], (int) p[2], neg);
                added.add(p);
            } else {
                long[] q = added.get(r.nextInt(added.size()));
                IpPrefix iq = new IpPrefix(IpAddress.ofV6(q[0], q[1]), (int) q[2]);
                assertEquals(o.remove(q[0], q[1], (int) q[2]), t.remove(iq), "remove " + iq + " seed " + seed);
                probe(t, o, q[0], q[1], (int) q[2], "after delete, seed " + seed);
            }
            probe(t, o, p[0], p[1], (int) p[2], "after add, seed " + seed);
            if (probeEvery > 0 && step % probeEvery == 0) probe(t, o, p[0], p[1], (int) p[2], "step " + step + " seed " + seed);
        }
    }

    /** Anywhere in the IPv6 space, crowded at the borders of the /3s (where the index's buckets change width). */
    private static long[] anywherePrefix(SplittableRandom r) {
        long hi;
        int k = r.nextInt(4);
        if (k == 0) {
            hi = r.nextLong();
        } else {
            long border = (long) r.nextInt(8) << 61;
            hi = k == 1 ? border + r.nextInt(1 << 20) : border - 1 - r.nextInt(1 << 20);
            if (k == 3) hi = border | ((long) r.nextInt(1 << 12) << 40);
        }
        long lo = r.nextInt(3) == 0 ? r.nextInt(8) : r.nextLong();
        int len = r.nextInt(4) == 0 ? r.nextInt(24) : r.nextBoolean() ? 128 : r.nextInt(129);
        return new long[] {hi, lo, len};
    }

    @Test
    void entriesOutside2000Slash3AgreeWithOracle() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        TableSet set = new TableSet(CLOCK, Allowlist.EMPTY);
        set.create("t", TableFlags.PERSIST);
        AddressTable t = set.table("t");
        Oracle o = new Oracle();
        List<long[]> added = new ArrayList<>();
        Origin origin = new Origin.Manual("t");
        churn(t, o, added, origin, r, seed, 6_000, V6IndexScaleTest::anywherePrefix, 6, 4, 0);
        assertEquals(16, t.v6IndexBits(), "lookups went through the flat index");
        for (int b = 0; b < 8; b++) {
            long border = (long) b << 61;
            for (long d : new long[] {-1, 0, 1}) {
                long h = border + d;
                for (long lo : new long[] {0, -1}) probe(t, o, h, lo, 128, "border of /3 number " + b + ", seed " + seed);
            }
        }
        TableSet copy = new TableSet(CLOCK, Allowlist.EMPTY);
        t.forEachEntry(e -> copy.apply(new Mutation.Add("t", e.prefix(), e.negated(), 1, 0, origin), 0));
        copy.finishReplay();
        AddressTable c = copy.table("t");
        for (int q = 0; q < 20_000; q++) {
            long[] p = r.nextBoolean() ? added.get(r.nextInt(added.size())) : anywherePrefix(r);
            probe(c, o, p[0], p[1], (int) p[2], "replayed, seed " + seed);
        }
    }
}
