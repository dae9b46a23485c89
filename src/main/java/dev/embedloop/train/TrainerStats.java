package dev.embedloop.train;

import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.metrics.Meters;
import dev.embedloop.metrics.ModelInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counters of the trainer, kept as Micrometer meters: the management port's {@code /metrics}, the
 * {@code train} command's console line and the tests all read the same meters. Thread-safe.
 */
public final class TrainerStats {

    /** Prometheus: {@code embedloop_train_gate_decisions_total{decision}}. */
    public static final String GATE_DECISIONS = "embedloop.train.gate.decisions";
    /** Prometheus: {@code embedloop_train_interleaving_decisions_total{decision}}. */
    public static final String INTERLEAVING_DECISIONS = "embedloop.train.interleaving.decisions";
    /** Candidates under test by how their test ended. */
    public static final String ONLINE_VERDICTS = "embedloop.train.online.verdicts";

    private final MeterRegistry registry;
    private final Counter consumed;
    private final Counter unreadable;
    private final Counter candidates;
    private final Counter promotions;
    private final Counter rejections;
    private final Counter failures;
    private final AtomicLong window = new AtomicLong();
    private final AtomicLong rollbacks = new AtomicLong();
    private final ModelInfo liveModel;
    private final AtomicReference<String> live = new AtomicReference<>("");
    private final AtomicReference<String> last = new AtomicReference<>("none");

    /** Counters of their own (tests, eval). */
    public TrainerStats() {
        this(Meters.detached());
    }

    /** Counters in {@code registry} (one trainer per registry). */
    public TrainerStats(MeterRegistry registry) {
        this.registry = registry;
        consumed = Meters.counter(registry, "embedloop.train.consumed", "examples", "Training examples read");
        unreadable = Meters.counter(registry, "embedloop.train.unreadable", "examples", "Training examples that could not be read (skipped)");
        candidates = Meters.counter(registry, "embedloop.train.candidates", null, "Candidate adapters trained (promoted, rejected or failed)");
        promotions = gate("promoted");
        rejections = gate("rejected");
        failures = Meters.counter(registry, "embedloop.train.failures", null, "Trainings that failed (training, export, verification or publication)");
        Gauge.builder("embedloop.train.window", window, AtomicLong::get).baseUnit("examples")
                .description("Training examples in the window").register(registry);
        Gauge.builder("embedloop.model.rollbacks", rollbacks, AtomicLong::get)
                .description("Rolled-back model versions on the model-updates topic").register(registry);
        liveModel = new ModelInfo(registry, "live");
    }

    void consumed() {
        consumed.increment();
    }

    void unreadable() {
        unreadable.increment();
    }

    void window(int size) {
        window.set(size);
    }

    void live(String version) {
        live.set(version);
        liveModel.set(version);
    }

    /** The model lineage as the trainer's follower sees it: live version and rollbacks. */
    void lineage(ModelLineage lineage) {
        live(lineage.liveVersion());
        rollbacks.set(lineage.all().stream().filter(u -> ModelUpdate.ROLLED_BACK.equals(u.status())).count());
    }

    /**
     * One interleaved impression of the candidate under test: {@code candidate}, {@code live} or
     * {@code tie} when counted, {@code not_counted} when its query is one the candidate was trained
     * on. A fixed word, never input.
     */
    void interleaving(String decision) {
        Meters.counter(registry, INTERLEAVING_DECISIONS, null, "Interleaving comparisons, by the model that won",
                "decision", decision).increment();
    }

    /** A candidate under test promoted by the online gate. */
    void promotedOnline() {
        promotions.increment();
    }

    /** How a test of a candidate ended ({@link #verdict}). */
    void concluded(OnlineGate.Decision d) {
        Meters.counter(registry, ONLINE_VERDICTS, null, "Candidates under test, by how their test ended", "verdict",
                verdict(d)).increment();
    }

    /**
     * A fixed word for how an online test ended: {@code promoted}, {@code lost} (significantly),
     * {@code futile} (not ahead after train.online-futility-queries), {@code superseded},
     * {@code rolled_back} (put under test before a rollback), or
     * {@code budget} (impressions or time spent).
     */
    static String verdict(OnlineGate.Decision d) {
        if (d.verdict() == OnlineGate.Verdict.PROMOTE) {
            return "promoted";
        }
        String r = d.reason();
        if (r.startsWith(OnlineGate.LOST)) {
            return "lost";
        }
        if (r.startsWith(OnlineGate.FUTILE)) {
            return "futile";
        }
        if (r.startsWith(OnlineGate.SUPERSEDED)) {
            return "superseded";
        }
        if (r.startsWith(OnlineGate.ROLLED_BACK)) {
            return "rolled_back";
        }
        return "budget";
    }

    void outcome(TrainerService.Outcome o) {
        switch (o.status()) {
            case PROMOTED -> {
                candidates.increment();
                promotions.increment();
            }
            case UNDER_TEST -> candidates.increment(); // counted as a promotion if the online gate promotes it
            case REJECTED -> {
                candidates.increment();
                rejections.increment();
            }
            case FAILED -> {
                candidates.increment();
                failures.increment();
            }
            case NO_EXAMPLES -> { }
        }
        last.set(o.summary());
    }

    public long consumedExamples() {
        return Meters.count(consumed);
    }

    public long unreadableExamples() {
        return Meters.count(unreadable);
    }

    public long windowExamples() {
        return window.get();
    }

    public long trainings() {
        return Meters.count(candidates);
    }

    public long promotions() {
        return Meters.count(promotions);
    }

    public long rejections() {
        return Meters.count(rejections);
    }

    public long failures() {
        return Meters.count(failures);
    }

    public String liveVersion() {
        return live.get();
    }

    private Counter gate(String decision) {
        return Meters.counter(registry, GATE_DECISIONS, null, "Gate decisions on candidate adapters", "decision", decision);
    }

    @Override
    public String toString() {
        return "consumed=" + consumedExamples() + " unreadable=" + unreadableExamples() + " window=" + window
                + " trainings=" + trainings() + " promotions=" + promotions() + " rejections=" + rejections()
                + " failures=" + failures() + " live=" + live + " last=[" + last + "]";
    }
}
