package dev.embedloop.train;

import dev.embedloop.config.ConfigReader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.model.AdapterMode;
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
 * @param tuning the per-candidate search of the trainer's settings on a validation slice (null: none,
 *     the configured trainer options are used as they are)
 * @param promotion when a promotion may happen at all (spacing, rollback, pause)
 * @param online the online phase: candidates that pass the offline screen go under test and are
 *     promoted or abandoned by interleaving
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
        Gate.Options gate,
        Tuning.Options tuning,
        Promotion promotion,
        Online online) {

    /** Settings without an online phase: the offline gate promotes. */
    public TrainSettings(String trainingPairsTopic, String modelUpdatesTopic, String groupId, int everyExamples,
            Duration interval, int windowExamples, Path modelStore, AdapterTrainer.Options trainer, Gate.Options gate,
            Tuning.Options tuning, Promotion promotion) {
        this(trainingPairsTopic, modelUpdatesTopic, groupId, everyExamples, interval, windowExamples, modelStore,
                trainer, gate, tuning, promotion, Online.off());
    }

    /** A copy with another online phase. */
    public TrainSettings withOnline(Online online) {
        return new TrainSettings(trainingPairsTopic, modelUpdatesTopic, groupId, everyExamples, interval,
                windowExamples, modelStore, trainer, gate, tuning, promotion, online);
    }

    /**
     * The online phase ({@code train.online-*}).
     *
     * @param enabled whether candidates that pass the offline screen go under test
     *     ({@code train.online-gate}, both modes); false: the offline gate promotes them directly
     * @param outcomesTopic the interleaving outcomes the feedback topology writes
     * @param gate significance, minimum count and budget
     * @param untrainedQueries how many distinct queries every candidate leaves untrained, at least
     *     ({@code train.online-untrained-queries}; at most half of the window's queries): the
     *     interleaving counts only those and new ones ({@link QuerySplit#holdback})
     * @param untrainedFraction the least fraction of the window's distinct queries every candidate
     *     leaves untrained ({@code train.online-untrained-fraction}): on a window of many queries
     *     the fixed count alone would leave the test a small share of the traffic
     * @param supersede abandon an undecided candidate once the window holds as many examples newer
     *     than its training as it was trained on, and train the next ({@code train.online-supersede})
     */
    public record Online(boolean enabled, String outcomesTopic, OnlineGate.Options gate, int untrainedQueries,
            double untrainedFraction, boolean supersede) {
        public Online {
            Objects.requireNonNull(outcomesTopic, "outcomesTopic");
            Objects.requireNonNull(gate, "gate");
            if (untrainedQueries < 0) {
                throw new IllegalArgumentException("untrainedQueries must not be negative, was " + untrainedQueries);
            }
            if (!(untrainedFraction >= 0 && untrainedFraction <= 0.5)) {
                throw new IllegalArgumentException("untrainedFraction must be in [0, 0.5], was " + untrainedFraction);
            }
        }

        /** No stable holdback beyond the gate's own ({@code train.min-holdout-queries}). */
        public Online(boolean enabled, String outcomesTopic, OnlineGate.Options gate) {
            this(enabled, outcomesTopic, gate, 0, 0, false);
        }

        /** A fixed count of untrained queries, without superseding. */
        public Online(boolean enabled, String outcomesTopic, OnlineGate.Options gate, int untrainedQueries) {
            this(enabled, outcomesTopic, gate, untrainedQueries, 0, false);
        }

        /**
         * How many of a window's {@code windowQueries} distinct queries every candidate leaves
         * untrained: the larger of {@link #untrainedQueries} and {@link #untrainedFraction} of
         * them, at most half of them.
         */
        public int untrained(int windowQueries) {
            int wanted = Math.max(untrainedQueries, (int) Math.ceil(untrainedFraction * windowQueries - 1e-9));
            return Math.min(wanted, windowQueries / 2);
        }

        /** No online phase. */
        public static Online off() {
            return new Online(false, "interleaving-outcomes",
                    new OnlineGate.Options(0.05, 20, 5000, Duration.ofDays(1)));
        }
    }

    /**
     * When promotions may happen.
     *
     * @param minInterval least time between two promotions
     * @param minNewExamples least number of training examples newer than the live model's promotion
     *     before another promotion
     * @param minNewExamplesAfterRollback least number of examples newer than the last rollback
     *     before anything is promoted again
     */
    public record Promotion(Duration minInterval, int minNewExamples, int minNewExamplesAfterRollback) {
        public Promotion {
            Objects.requireNonNull(minInterval, "minInterval");
            if (minNewExamples < 0 || minNewExamplesAfterRollback < 0) {
                throw new IllegalArgumentException("example counts must be at least 0");
            }
        }

        /** No spacing, nothing required after a rollback. */
        public static Promotion none() {
            return new Promotion(Duration.ZERO, 0, 0);
        }
    }

    /** Settings without a search and without promotion rules (tests). */
    public TrainSettings(String trainingPairsTopic, String modelUpdatesTopic, String groupId, int everyExamples,
            Duration interval, int windowExamples, Path modelStore, AdapterTrainer.Options trainer, Gate.Options gate) {
        this(trainingPairsTopic, modelUpdatesTopic, groupId, everyExamples, interval, windowExamples, modelStore,
                trainer, gate, null, Promotion.none());
    }

    public TrainSettings {
        Objects.requireNonNull(online, "online");
        Objects.requireNonNull(promotion, "promotion");
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

    /** Seed of the trainer's shuffles and of the gate's split: fixed, so a run can be repeated. */
    static final long SEED = 42L;

    /** The cut-offs at which the gate reports its metrics (MRR and recall at 1 and 5). */
    static final java.util.List<Integer> GATE_CUTOFFS = java.util.List.of(1, 5);

    /** The trainer's settings from the configuration; a bad value fails naming its key. */
    public static TrainSettings from(EmbedloopConfig cfg) {
        ConfigReader r = cfg.reader();
        AdapterMode mode = r.parse("train.mode", TrainSettings::parseMode);
        AdapterTrainer.Loss loss = r.parse("train.loss", TrainSettings::parseLoss);
        AdapterTrainer.Options trainer = new AdapterTrainer.Options(loss, mode,
                r.doubleIn("train.temperature", 1e-4, 10), r.doubleIn("train.margin", 0, 2),
                r.doubleIn("train.lambda", 0, 1e6), r.doubleIn("train.learning-rate", 1e-9, 10),
                r.intIn("train.epochs", 0, 10_000), r.intIn("train.batch-size", 1, 100_000), SEED, true);
        Gate.Options gate = new Gate.Options(r.doubleIn("train.holdout-fraction", 0.001, 0.9),
                r.intIn("train.min-holdout", 1, 1_000_000), GATE_CUTOFFS,
                r.doubleIn("train.gate-margin", 0, 1), r.doubleIn("train.gate-alpha", 0, 1),
                r.intIn("train.min-holdout-queries", 1, 1_000_000));
        Tuning.Options tuning = r.bool("train.search.enabled")
                ? new Tuning.Options(r.doubleIn("train.validation-fraction", 0.01, 0.9),
                        r.intIn("train.min-validation", 1, 1_000_000),
                        r.parse("train.search.temperatures", TrainSettings::doubles),
                        r.parse("train.search.lambdas", TrainSettings::doubles),
                        r.parse("train.search.learning-rates", TrainSettings::doubles),
                        r.intIn("train.search.max-epochs", 1, 1000),
                        r.bool("train.search.warm-start"),
                        r.intIn("train.search.max-examples", 1, 100_000_000),
                        r.intIn("train.min-validation-queries", 1, 1_000_000),
                        r.intIn("train.search.average-top", 1, 100))
                : null;
        Promotion promotion = new Promotion(r.millis("train.min-promotion-interval-ms"),
                r.intIn("train.min-new-examples-between-promotions", 0, 100_000_000),
                r.intIn("train.min-new-examples-after-rollback", 0, 100_000_000));
        int minPreferences = r.intIn("train.online-min-preferences", 1, 100_000_000);
        int maxImpressions = r.intIn("train.online-max-impressions", 1, 1_000_000_000);
        if (minPreferences > maxImpressions) {
            throw new dev.embedloop.config.ConfigException("train.online-min-preferences", "must not exceed"
                    + " train.online-max-impressions (" + maxImpressions + "), was " + minPreferences
                    + ": the online gate would never look");
        }
        return new TrainSettings(cfg.topics().trainingPairs(), cfg.topics().modelUpdates(), r.name("train.group-id"),
                r.intIn("train.every-examples", 1, 100_000_000), r.millis("train.interval-ms"),
                r.intIn("train.window-examples", 1, 100_000_000), Path.of(r.nonBlank("train.model-store")),
                trainer, gate, tuning, promotion, new Online(r.bool("train.online-gate"),
                        r.name("topics.interleaving-outcomes"), new OnlineGate.Options(
                                r.doubleIn("train.online-alpha", 1e-6, 0.5),
                                minPreferences, maxImpressions,
                                r.millis("train.online-max-duration-ms"),
                                r.intIn("train.online-futility-queries", 0, 100_000_000)),
                        r.intIn("train.online-untrained-queries", 0, 1_000_000),
                        r.doubleIn("train.online-untrained-fraction", 0, 0.5),
                        r.bool("train.online-supersede")));
    }

    /** A comma-separated list of numbers, e.g. {@code 0.05,0.1}. */
    static java.util.List<Double> doubles(String csv) {
        java.util.List<Double> out = new java.util.ArrayList<>();
        for (String part : csv.split(",")) {
            if (!part.isBlank()) {
                double v = Double.parseDouble(part.trim());
                if (!(v > 0) || Double.isInfinite(v)) {
                    throw new IllegalArgumentException("every value must be a positive number, was '" + part.trim() + "'");
                }
                out.add(v);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("needs at least one number");
        }
        return java.util.List.copyOf(out);
    }
}
