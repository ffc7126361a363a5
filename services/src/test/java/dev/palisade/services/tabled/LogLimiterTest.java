package dev.palisade.services.tabled;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LogLimiterTest {

    @Test
    void letsLimitLinesThroughPerIntervalThenReportsTheSuppressed() {
        LogLimiter l = new LogLimiter(3, 10_000);
        assertEquals(0, l.tryAcquire(0));
        assertEquals(0, l.tryAcquire(1));
        assertEquals(0, l.tryAcquire(2));
        assertEquals(-1, l.tryAcquire(3));
        assertEquals(-1, l.tryAcquire(9_999));
        assertEquals(2, l.tryAcquire(10_000), "the next interval's first line reports the two held back");
        assertEquals(0, l.tryAcquire(10_001));
        assertEquals(0, l.tryAcquire(5), "a clock that went back opens a new interval");
    }
}
