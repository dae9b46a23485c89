package dev.embedloop.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C / SIGTERM for long-running commands: the shutdown hook wakes the command and then waits
 * (bounded) until the command has closed its resources, so Kafka Streams and the broker stop cleanly.
 */
final class StopSignal implements AutoCloseable {

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    StopSignal() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                closed.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "embedloop-shutdown"));
    }

    /** Waits up to {@code timeout} for the signal; true when it came. */
    boolean await(Duration timeout) throws InterruptedException {
        return stop.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    void await() throws InterruptedException {
        stop.await();
    }

    /**
     * Prints {@code counters} under {@code label} every {@code interval} (when they changed) until the
     * signal comes or {@code stopped} turns true.
     *
     * @return the exit code: 0 after the signal, 1 when the application stopped by itself
     */
    int reportUntilStopped(String label, Duration interval, java.util.function.Supplier<Object> counters,
            java.util.function.BooleanSupplier stopped) throws InterruptedException {
        String last = "";
        while (!await(interval)) {
            String now = String.valueOf(counters.get());
            if (!now.equals(last)) {
                System.err.println("[" + label + "] " + now);
                last = now;
            }
            if (stopped.getAsBoolean()) {
                System.err.println("[" + label + "] stopped by an error; see the log above");
                return 1;
            }
        }
        System.err.println("[" + label + "] " + counters.get());
        return 0;
    }

    /** Called once the command has released everything. */
    @Override
    public void close() {
        closed.countDown();
    }
}
