package dev.embedloop.train;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Counters of the trainer, for the {@code train} command's console line and for tests. Thread-safe. */
public final class TrainerStats {

    private final AtomicLong consumed = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private final AtomicLong window = new AtomicLong();
    private final AtomicLong trainings = new AtomicLong();
    private final AtomicLong promotions = new AtomicLong();
    private final AtomicLong rejections = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<String> live = new AtomicReference<>("");
    private final AtomicReference<String> last = new AtomicReference<>("none");

    void consumed() {
        consumed.incrementAndGet();
    }

    void unreadable() {
        unreadable.incrementAndGet();
    }

    void window(int size) {
        window.set(size);
    }

    void live(String version) {
        live.set(version);
    }

    void outcome(TrainerService.Outcome o) {
        switch (o.status()) {
            case PROMOTED -> {
                trainings.incrementAndGet();
                promotions.incrementAndGet();
            }
            case REJECTED -> {
                trainings.incrementAndGet();
                rejections.incrementAndGet();
            }
            case FAILED -> {
                trainings.incrementAndGet();
                failures.incrementAndGet();
            }
            case NO_EXAMPLES -> { }
        }
        last.set(o.summary());
    }

    public long consumedExamples() {
        return consumed.get();
    }

    public long unreadableExamples() {
        return unreadable.get();
    }

    public long windowExamples() {
        return window.get();
    }

    public long trainings() {
        return trainings.get();
    }

    public long promotions() {
        return promotions.get();
    }

    public long rejections() {
        return rejections.get();
    }

    public long failures() {
        return failures.get();
    }

    public String liveVersion() {
        return live.get();
    }

    @Override
    public String toString() {
        return "consumed=" + consumed + " unreadable=" + unreadable + " window=" + window + " trainings=" + trainings
                + " promotions=" + promotions + " rejections=" + rejections + " failures=" + failures
                + " live=" + live + " last=[" + last + "]";
    }
}
