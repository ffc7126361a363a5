package dev.palisade.services;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting on a condition with a deadline, never a fixed sleep. */
public final class Await {

    private Await() {}

    public static void until(Duration deadline, BooleanSupplier cond, Supplier<String> what) {
        long end = System.nanoTime() + deadline.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out after " + deadline + " waiting for " + what.get());
            Thread.onSpinWait();
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what.get());
            }
        }
    }
}
