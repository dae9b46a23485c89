package dev.embedloop.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes: how tests wait for state, never by sleeping blind. */
public final class Await {

    private Await() {}

    public static void until(Duration timeout, BooleanSupplier condition, Supplier<String> whatWeWaitFor) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + whatWeWaitFor.get());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + whatWeWaitFor.get());
            }
        }
    }
}
