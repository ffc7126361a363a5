package dev.palisade.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Property test: random adds and deletes of clustered prefixes (so that they
 * nest and share paths) against a naive linear oracle (a map of prefixes,
 * longest match by scanning every entry).
 */
class PrefixTrieOracleTest {

    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);

    /** Random address from a small pool of networks so that prefixes overlap. */
    private static IpAddress randomAddress(Random r, boolean v6) {
        if (!v6) {
            int base = new int[] {0x0a000000, 0x0a0b0000, 0xc0a80100, 0x01010100}[r.nextInt(4)];
            return IpAddress.ofV4(base | (r.nextInt(4) << 6) | r.nextInt(64) & (r.nextBoolean() ? 0xff : 0x3));
        }
        long hi = new long[] {0x20010db800000000L, 0xfe80000000000000L, 0x20010db8ffff0000L}[r.nextInt(3)];
        long lo = r.nextBoolean() ? r.nextInt(16) : ((long) r.nextInt(16) << 60) | r.nextInt(4);
        return IpAddress.ofV6(hi | r.nextInt(4), lo);
    }

    private static IpPrefix randomPrefix(Random r) {
        boolean v6 = r.nextInt(3) == 0;
        IpAddress a = randomAddress(r, v6);
        int bits = a.bits();
        int len = r.nextInt(3) == 0 ? bits : r.nextInt(bits + 1);
        return new IpPrefix(a, len);
    }

    private static Boolean oracle(Map<IpPrefix, Boolean> entries, IpAddress a) {
        IpPrefix best = null;
        for (IpPrefix p : entries.keySet()) {
            if (p.contains(a) && (best == null || p.length() > best.length())) best = p;
        }
        return best == null ? null : entries.get(best);
    }

    @RepeatedTest(8)
    void randomOperationsAgreeWithLinearOracle() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        TableSet set = new TableSet(CLOCK, Allowlist.EMPTY);
        set.create("t", TableFlags.PERSIST);
        Map<IpPrefix, Boolean> oracle = new LinkedHashMap<>();
        for (int step = 0; step < 2000; step++) {
            IpPrefix p = randomPrefix(r);
            if (r.nextInt(3) > 0) {
                boolean neg = r.nextInt(4) == 0;
                set.table("t").put(p, neg, 1, 0, new Origin.Manual("t"));
                oracle.put(p, neg);
            } else {
                boolean removed = set.table("t").remove(p);
                assertEquals(oracle.remove(p) != null, removed, "remove " + p + " seed " + seed);
            }
            if (step % 50 == 0) {
                AddressTable t = set.table("t");
                assertEquals(oracle.size(), t.size(), "size, seed " + seed);
                for (int q = 0; q < 200; q++) {
                    IpAddress a = r.nextInt(8) == 0 ? IpAddress.ofV4(r.nextInt()) : randomAddress(r, r.nextInt(3) == 0);
                    Boolean neg = oracle(oracle, a);
                    boolean expected = neg != null && !neg;
                    assertEquals(expected, t.matches(a), "lookup " + a + " seed " + seed + " entries " + oracle);
                    if (!a.v6()) assertEquals(expected, t.matchesV4(a.v4()), "v4 hot path " + a + " seed " + seed);
                }
            }
        }
        // show order: IPv4 then IPv6, each by address then shorter prefix first
        List<IpPrefix> shown = new ArrayList<>();
        set.table("t").forEachEntry(e -> shown.add(e.prefix()));
        List<IpPrefix> sorted = new ArrayList<>(new TreeMap<>(oracle).keySet());
        assertEquals(sorted, shown, "walk order, seed " + seed);
        // a replayed copy (bulk: index built once at the end) answers the same
        TableSet copy = new TableSet(CLOCK, Allowlist.EMPTY);
        for (Map.Entry<IpPrefix, Boolean> e : oracle.entrySet()) {
            copy.apply(new Mutation.Add("t", e.getKey(), e.getValue(), 1, 0, new Origin.Manual("")), 0);
        }
        copy.finishReplay();
        org.junit.jupiter.api.Assertions.assertTrue(set.table("t").indexed() && copy.table("t").indexed(), "lookups went through the flat indexes");
        for (int q = 0; q < 2000; q++) {
            IpAddress a = r.nextInt(8) == 0 ? IpAddress.ofV4(r.nextInt()) : randomAddress(r, r.nextInt(3) == 0);
            Boolean neg = oracle(oracle, a);
            assertEquals(neg != null && !neg, copy.table("t").matches(a), "replayed copy, lookup " + a + " seed " + seed);
        }
        // exact lookups
        for (Map.Entry<IpPrefix, Boolean> e : oracle.entrySet()) {
            assertEquals(e.getValue(), set.table("t").entry(e.getKey()).negated(), "entry " + e.getKey());
        }
    }

    @Test
    void mappedIpv6IsStoredAsIpv4() {
        TableSet set = new TableSet(CLOCK, Allowlist.EMPTY);
        set.create("t", TableFlags.PERSIST);
        set.add("t", IpPrefix.parse("::ffff:192.0.2.0/120"), null, new Origin.Manual(""));
        assertEquals(true, set.matches("t", IpAddress.parse("192.0.2.7")));
        assertEquals(true, set.matches("t", IpAddress.parse("::ffff:192.0.2.9")));
        assertEquals("192.0.2.0/24", set.table("t").entry(IpPrefix.parse("192.0.2.0/24")).prefix().toString());
    }
}
