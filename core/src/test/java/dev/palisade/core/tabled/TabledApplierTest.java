package dev.palisade.core.tabled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TabledApplierTest {

    static final Instant NOW = Instant.ofEpochSecond(1_700_000_000L);
    static final Origin ORIGIN = new Origin.Pftabled("192.0.2.7");
    static final IpPrefix P = IpPrefix.parse("10.1.2.3");

    @Test
    void addWithLifetimeBecomesAnExpiryAndReAddRefreshes() {
        MemoryTables t = new MemoryTables().with("spammer");
        TabledApplier a = new TabledApplier(t, false);
        assertEquals(new TabledApplier.Done(TabledApplier.Effect.ADDED, 1), a.apply(TableCommand.add("spammer", P).withLifetime(600), ORIGIN, NOW));
        assertEquals(NOW.plusSeconds(600), t.tables.get("spammer").get(P).expires());
        assertEquals(ORIGIN, t.tables.get("spammer").get(P).origin());
        assertEquals(new TabledApplier.Done(TabledApplier.Effect.REFRESHED, 1),
                a.apply(TableCommand.add("spammer", P).withLifetime(600), ORIGIN, NOW.plusSeconds(100)));
        assertEquals(NOW.plusSeconds(700), t.tables.get("spammer").get(P).expires());
        a.apply(TableCommand.add("spammer", IpPrefix.parse("10.9.9.9")), ORIGIN, NOW);
        assertNull(t.tables.get("spammer").get(IpPrefix.parse("10.9.9.9")).expires(), "lifetime 0: no expiry");
    }

    @Test
    void deleteAndFlush() {
        MemoryTables t = new MemoryTables().with("spammer");
        TabledApplier a = new TabledApplier(t, false);
        a.apply(TableCommand.add("spammer", P), ORIGIN, NOW);
        a.apply(TableCommand.add("spammer", IpPrefix.parse("10.0.0.0/8")), ORIGIN, NOW);
        assertEquals(new TabledApplier.Done(TabledApplier.Effect.DELETED, 1), a.apply(TableCommand.delete("spammer", P), ORIGIN, NOW));
        assertEquals(new TabledApplier.Done(TabledApplier.Effect.NOT_PRESENT, 1), a.apply(TableCommand.delete("spammer", P), ORIGIN, NOW));
        assertEquals(new TabledApplier.Done(TabledApplier.Effect.FLUSHED, 1), a.apply(TableCommand.flush("spammer"), ORIGIN, NOW));
        assertTrue(t.tables.get("spammer").isEmpty());
    }

    @Test
    void unknownTableIsRefusedUnlessCreating() {
        MemoryTables t = new MemoryTables();
        TabledApplier strict = new TabledApplier(t, false);
        for (TableCommand c : new TableCommand[] {TableCommand.add("x", P), TableCommand.delete("x", P), TableCommand.flush("x")}) {
            TabledApplier.Refused r = assertInstanceOf(TabledApplier.Refused.class, strict.apply(c, ORIGIN, NOW));
            assertEquals(RejectReason.UNKNOWN_TABLE, r.reason());
            assertTrue(r.detail().contains("<x>"), r.detail());
        }
        assertFalse(t.exists("x"));
        TabledApplier creating = new TabledApplier(t, true);
        assertEquals(RejectReason.UNKNOWN_TABLE, ((TabledApplier.Refused) creating.apply(TableCommand.delete("x", P), ORIGIN, NOW)).reason());
        assertFalse(t.exists("x"), "delete never creates");
        assertEquals(new TabledApplier.Done(TabledApplier.Effect.ADDED, 1), creating.apply(TableCommand.add("x", P), ORIGIN, NOW));
        assertTrue(t.matches("x", IpAddress.parse("10.1.2.3")));
    }

    @Test
    void allowlistConstAndErrors() {
        MemoryTables t = new MemoryTables().with("spammer", "fixed");
        t.allowlist.add(IpPrefix.parse("10.1.0.0/16"));
        t.constTables.add("fixed");
        TabledApplier a = new TabledApplier(t, false);
        assertEquals(RejectReason.ALLOWLISTED, ((TabledApplier.Refused) a.apply(TableCommand.add("spammer", P), ORIGIN, NOW)).reason());
        assertEquals(RejectReason.CONST_TABLE, ((TabledApplier.Refused) a.apply(TableCommand.add("fixed", IpPrefix.parse("10.9.0.1")), ORIGIN, NOW)).reason());
        MemoryTables broken = new MemoryTables() {
            @Override
            public AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin) {
                throw new IllegalStateException("disk full");
            }
        };
        TabledApplier.Refused r = assertInstanceOf(TabledApplier.Refused.class, new TabledApplier(broken, false).apply(TableCommand.add("s", P), ORIGIN, NOW));
        assertEquals(RejectReason.APPLY_FAILED, r.reason());
        assertTrue(r.detail().contains("disk full"), r.detail());
    }
}
