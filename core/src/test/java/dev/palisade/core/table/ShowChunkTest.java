package dev.palisade.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A chunked {@code -T show} prints what one whole show prints, whatever the chunk size, and survives changes between chunks. */
class ShowChunkTest {

    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);

    private static IpPrefix random(SplittableRandom r) {
        if (r.nextBoolean()) {
            int a = 0x0a000000 | r.nextInt(1 << 12);
            return new IpPrefix(IpAddress.ofV4(a), r.nextInt(3) == 0 ? 20 + r.nextInt(12) : 32);
        }
        long hi = 0x20010db800000000L | r.nextInt(16);
        return new IpPrefix(IpAddress.ofV6(hi, r.nextInt(64)), r.nextInt(3) == 0 ? 60 + r.nextInt(68) : 128);
    }

    private static TableSet filled(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        TableSet set = new TableSet(CLOCK, Allowlist.EMPTY);
        set.create("t", TableFlags.PERSIST);
        for (int i = 0; i < 3000; i++) set.table("t").put(random(r), r.nextInt(7) == 0, 1, 0, new Origin.Manual("t"));
        return set;
    }

    private static List<String> chunked(TableSet set, int chunk, Runnable between) {
        List<String> out = new ArrayList<>();
        TableSet.ShowCursor c = new TableSet.ShowCursor();
        int calls = 0;
        while (!c.done()) {
            assertEquals(0, set.showChunk("t", 0, c, chunk, out::add, e -> { throw new AssertionError(e); }));
            between.run();
            assertTrue(++calls < 100_000, "the show ends");
        }
        return out;
    }

    @Test
    void chunksConcatenateToTheWholeShow() {
        TableSet set = filled(1);
        List<String> whole = new ArrayList<>();
        assertEquals(0, set.show("t", 0, whole::add, e -> { throw new AssertionError(e); }));
        assertTrue(whole.size() > 2000, "table filled: " + whole.size());
        for (int chunk : new int[] {1, 2, 7, 1000, 1 << 20}) {
            assertEquals(whole, chunked(set, chunk, () -> {}), "chunk size " + chunk);
        }
    }

    @Test
    void theByteLinesAreTheTextLinesBehindTheirPrefix() {
        TableSet set = filled(4);
        set.table("t").put(IpPrefix.parse("::/0"), false, 1, 0, new Origin.Manual("t"));
        set.table("t").put(IpPrefix.parse("0.0.0.0/0"), true, 1, 0, new Origin.Manual("t"));
        set.table("t").put(IpPrefix.parse("2001:db8:0:1:0:0:0:1/128"), false, 1, 0, new Origin.Manual("t"));
        StringBuilder want = new StringBuilder();
        set.show("t", 0, l -> want.append("1 ").append(l).append('\n'), e -> { throw new AssertionError(e); });
        for (int chunk : new int[] {1, 7, 4096}) {
            StringBuilder got = new StringBuilder();
            ShowLines out = new ShowLines(new byte[] {'1', ' '});
            TableSet.ShowCursor c = new TableSet.ShowCursor();
            int lines = 0;
            while (!c.done()) {
                out.reset();
                assertEquals(0, set.showChunk("t", c, chunk, out, e -> { throw new AssertionError(e); }));
                got.append(new String(out.array(), 0, out.length(), java.nio.charset.StandardCharsets.US_ASCII));
                lines += out.lines();
            }
            assertEquals(want.toString(), got.toString(), "chunk size " + chunk);
            assertEquals(set.table("t").size(), lines);
        }
    }

    @Test
    void entriesPresentThroughoutAreShownOnceInOrderDespiteChanges() {
        TableSet set = filled(2);
        List<String> before = new ArrayList<>();
        set.show("t", 0, before::add, e -> {});
        SplittableRandom r = new SplittableRandom(3);
        List<IpPrefix> added = new ArrayList<>();
        List<String> got = chunked(set, 5, () -> {
            IpPrefix p = random(r);
            if (set.table("t").entry(p) == null) {
                set.table("t").put(p, false, 1, 0, new Origin.Manual("t"));
                added.add(p);
            }
        });
        // everything there before (nothing was removed) appears, in the same relative order
        int i = 0;
        for (String line : got) if (i < before.size() && line.equals(before.get(i))) i++;
        assertEquals(before.size(), i, "every entry present throughout was shown, in order");
        assertEquals(got.size(), new java.util.HashSet<>(got).size(), "no line twice");
        assertTrue(!added.isEmpty(), "changes happened between chunks");
    }

    @Test
    void missingTableIsAnErrorOnTheFirstChunk() {
        TableSet set = new TableSet(CLOCK, Allowlist.EMPTY);
        List<String> err = new ArrayList<>();
        TableSet.ShowCursor c = new TableSet.ShowCursor();
        assertEquals(1, set.showChunk("nope", 0, c, 10, l -> {}, err::add));
        assertEquals(List.of("pfctl: Table does not exist: nope"), err);
        assertTrue(c.done());
    }
}
