package dev.palisade.services.tabled;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.palisade.core.tabled.RejectReason;
import dev.palisade.core.tabled.TabledApplier;
import org.junit.jupiter.api.Test;

class TabledCountersTest {

    @Test
    void countsByOutcomeAndNamesThemForMetrics() {
        TabledCounters c = new TabledCounters();
        c.countReceived();
        c.countReceived();
        c.countReceived();
        c.countRejected(RejectReason.BAD_MAC);
        c.countRejected(RejectReason.HOST_BITS_WITH_MASK_0);
        c.countApplied(TabledApplier.Effect.ADDED);
        assertEquals(3, c.received());
        assertEquals(2, c.rejectedTotal());
        assertEquals(1, c.appliedTotal());
        assertEquals(1L, c.snapshot().get("rejected_bad_mac"));
        assertEquals(1L, c.snapshot().get("rejected_host_bits_with_mask_0"));
        assertEquals(0L, c.snapshot().get("rejected_stale"));
        assertEquals(1L, c.snapshot().get("applied_added"));
        assertEquals(RejectReason.values().length + TabledApplier.Effect.values().length + 2, c.snapshot().size());
        assertEquals("received=3 rejected_bad_mac=1 rejected_host_bits_with_mask_0=1 applied_added=1", c.toString());
    }
}
