package dev.embedloop.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * What the trainer ({@code train}) does and when.
 *
 * @param trainingPairsTopic input: training examples from the feedback topology
 * @param modelUpdatesTopic output: compacted, key = model version
 * @param groupId consumer group on the training-pairs topic
 * @param everyExamples train a candidate after this many new examples
 * @param interval or after this long when there is at least one new example
 * @param windowExamples most recent examples kept for training
 * @param modelStore directory of promoted model directories and of the base-embedding cache
 * @param trainer loss, mode and optimiser options
 * @param gate hold-out and promotion margin
 */
public record TrainSettings(
        String trainingPairsTopic,
        String modelUpdatesTopic,
        String groupId,
        int everyExamples,
        Duration interval,
        int windowExamples,
        Path modelStore,
        AdapterTrainer.Options trainer,
        Gate.Options gate) {

    public TrainSettings {
        Objects.requireNonNull(trainingPairsTopic, "trainingPairsTopic");
        Objects.requireNonNull(modelUpdatesTopic, "modelUpdatesTopic");
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(modelStore, "modelStore");
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(gate, "gate");
        if (everyExamples < 1 || windowExamples < 1) {
            throw new IllegalArgumentException("everyExamples and windowExamples must be positive");
        }
    }

    public AdapterMode mode() {
        return trainer.mode();
    }

    /** {@code symmetric} or {@code query-only} (the configuration's spelling). */
    public static AdapterMode parseMode(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "symmetric" -> AdapterMode.SYMMETRIC;
            case "query-only", "query_only" -> AdapterMode.QUERY_ONLY;
            default -> throw new IllegalArgumentException("must be symmetric or query-only, was '" + value + "'");
        };
    }

    /** {@code mnrl} or {@code triplet} (the configuration's spelling). */
    public static AdapterTrainer.Loss parseLoss(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "mnrl", "infonce", "multiple-negatives-ranking" -> AdapterTrainer.Loss.MULTIPLE_NEGATIVES_RANKING;
            case "triplet" -> AdapterTrainer.Loss.TRIPLET;
            default -> throw new IllegalArgumentException("must be mnrl or triplet, was '" + value + "'");
        };
    }

    /** The configuration spelling of a mode, as written to model.json and model-updates. */
    public static String modeName(AdapterMode mode) {
        return mode == AdapterMode.SYMMETRIC ? "symmetric" : "query-only";
    }
}
