package dev.embedloop.feedback;

import dev.embedloop.config.ConfigException;
import dev.embedloop.config.ConfigReader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.events.TrainingExample;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of the feedback topology, validated up front. {@link #defaults()} gives the documented
 * defaults.
 *
 * @param impressionsTopic input: search impressions, key = query_id (default {@code search-impressions})
 * @param clicksTopic input: clicks, key = query_id, co-partitioned with the impressions (default {@code clicks})
 * @param documentsTopic input: Embedloop documents, key = document id, compacted (default {@code documents})
 * @param trainingPairsTopic output: {@link TrainingExample}s, key = query_id (default {@code training-pairs})
 * @param clicksDeadLetterTopic output: refused impressions and clicks as {@code DeadLetter}s (default {@code clicks.dlq})
 * @param window how long after an impression arrived its clicks are joined; then its pairs are
 *     decided once (default 10 min)
 * @param punctuationInterval how often (wall clock) closed windows are decided and expired state is
 *     purged; a window closes at most this much late (default 1 s)
 * @param minDwellMs the least dwell time of a click that counts as positive; clicks without a dwell
 *     time count (default 10000)
 * @param includeBelowClick also use the unclicked result right below a click as a negative (default false)
 * @param propensity examination model of the position-bias weight (default power-law, eta 0.7)
 * @param maxWeight the weight is clipped to this, at least 1 (default 10)
 * @param maxNegatives at most this many negatives per example, best rank first (default 10)
 * @param dedupWindow an example for the same (normalised query, positive) is dropped within this (default 1 h; zero keeps every example)
 * @param maxExamplesPerIdentity at most this many examples per user (or session when there is no
 *     user id) per {@code capWindow}; the rest are dropped (default 100)
 * @param capWindow the fixed window of that cap, started by the identity's first example (default 1 h)
 * @param recentPositiveTtl how long a positive of a query text keeps that document from being a
 *     negative for the same query text (default 24 h)
 * @param lateClickRetention how long a closed impression is remembered, so a click after it is
 *     dead-lettered as {@code LATE} rather than {@code NO_IMPRESSION} (default 1 h)
 * @param maxTextChars texts of positives and negatives are cut to this many characters (default 2000)
 * @param interleavingOutcomesTopic output: one {@code InterleavingOutcome} per interleaved impression
 *     with clicks, key = candidate version (default {@code interleaving-outcomes})
 */
public record FeedbackSettings(
        String impressionsTopic,
        String clicksTopic,
        String documentsTopic,
        String trainingPairsTopic,
        String clicksDeadLetterTopic,
        Duration window,
        Duration punctuationInterval,
        long minDwellMs,
        boolean includeBelowClick,
        PropensityModel propensity,
        double maxWeight,
        int maxNegatives,
        Duration dedupWindow,
        int maxExamplesPerIdentity,
        Duration capWindow,
        Duration recentPositiveTtl,
        Duration lateClickRetention,
        int maxTextChars,
        String interleavingOutcomesTopic) {

    public FeedbackSettings {
        List<String> topics = List.of(
                topic(impressionsTopic, "impressionsTopic"),
                topic(clicksTopic, "clicksTopic"),
                topic(documentsTopic, "documentsTopic"),
                topic(trainingPairsTopic, "trainingPairsTopic"),
                topic(clicksDeadLetterTopic, "clicksDeadLetterTopic"),
                topic(interleavingOutcomesTopic, "interleavingOutcomesTopic"));
        Set<String> distinct = new HashSet<>(topics);
        if (distinct.size() != topics.size()) {
            throw new IllegalArgumentException("the feedback topics must all differ, were " + topics);
        }
        positive(window, "window");
        positive(punctuationInterval, "punctuationInterval");
        Objects.requireNonNull(dedupWindow, "dedupWindow");
        if (dedupWindow.isNegative()) {
            throw new IllegalArgumentException("dedupWindow must not be negative, was " + dedupWindow);
        }
        positive(capWindow, "capWindow");
        positive(recentPositiveTtl, "recentPositiveTtl");
        positive(lateClickRetention, "lateClickRetention");
        Objects.requireNonNull(propensity, "propensity");
        if (minDwellMs < 0) {
            throw new IllegalArgumentException("minDwellMs must not be negative, was " + minDwellMs);
        }
        if (!(maxWeight >= 1.0) || Double.isInfinite(maxWeight)) {
            throw new IllegalArgumentException("maxWeight must be a finite number of at least 1, was " + maxWeight);
        }
        if (maxNegatives < 0 || maxNegatives > 1000) {
            throw new IllegalArgumentException("maxNegatives must be within [0, 1000], was " + maxNegatives);
        }
        if (maxExamplesPerIdentity < 1) {
            throw new IllegalArgumentException("maxExamplesPerIdentity must be at least 1, was " + maxExamplesPerIdentity);
        }
        if (maxTextChars < 1) {
            throw new IllegalArgumentException("maxTextChars must be at least 1, was " + maxTextChars);
        }
    }

    /** The defaults listed on each component. */
    public static FeedbackSettings defaults() {
        return new FeedbackSettings("search-impressions", "clicks", "documents", "training-pairs", "clicks.dlq",
                Duration.ofMinutes(10), Duration.ofSeconds(1), 10_000, false, PropensityModel.powerLaw(0.7), 10.0, 10,
                Duration.ofHours(1), 100, Duration.ofHours(1), Duration.ofHours(24), Duration.ofHours(1), 2000,
                "interleaving-outcomes");
    }

    private static String topic(String name, String what) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(what + " must be a topic name");
        }
        return name;
    }

    private static void positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.toMillis() < 1) {
            throw new IllegalArgumentException(what + " must be at least 1 ms, was " + d);
        }
    }

    /** The feedback topology's settings from the configuration; a bad value fails naming its key. */
    public static FeedbackSettings from(EmbedloopConfig cfg) {
        ConfigReader r = cfg.reader();
        EmbedloopConfig.Topics topics = cfg.topics();
        r.name("feedback.application-id");
        PropensityModel propensity;
        try {
            propensity = PropensityModel.parse(r.nonBlank("feedback.propensity-model"),
                    r.doubleIn("feedback.propensity-eta", 0, 10));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("feedback.propensity-model", e.getMessage());
        }
        try {
            return new FeedbackSettings(
                    topics.impressions(), topics.clicks(), topics.documents(), topics.trainingPairs(), topics.clicksDeadLetter(),
                    r.millis("feedback.window-ms"),
                    r.millis("feedback.punctuation-interval-ms"),
                    r.longIn("feedback.min-dwell-ms", 0, Long.MAX_VALUE),
                    r.bool("feedback.include-below-click"),
                    propensity,
                    r.doubleIn("feedback.max-weight", 1, 1e9),
                    r.intIn("feedback.max-negatives", 0, 1000),
                    Duration.ofMillis(r.longIn("feedback.dedup-window-ms", 0, Long.MAX_VALUE)),
                    r.intIn("feedback.max-examples-per-user", 1, Integer.MAX_VALUE),
                    r.millis("feedback.cap-window-ms"),
                    r.millis("feedback.recent-positive-ttl-ms"),
                    r.millis("feedback.late-click-retention-ms"),
                    r.intIn("feedback.max-text-chars", 1, 10_000_000),
                    r.name("topics.interleaving-outcomes"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("feedback", e.getMessage());
        }
    }
}
