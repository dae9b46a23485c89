package dev.embedloop.feedback;

import dev.embedloop.events.Click;
import dev.embedloop.events.Impression;
import dev.embedloop.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/**
 * Counters of the feedback topology, kept as Micrometer meters: the management port's
 * {@code /metrics}, the CLI's counters line and the tests all read the same meters. Thread-safe.
 */
public final class FeedbackStats {

    /** Why an input event or a whole example was dropped. Event drops go to the dead-letter topic too. */
    public enum DropReason {
        /** Impression or click that is not valid JSON or breaks the schema (dead-lettered). */
        BAD_INPUT("bad_input"),
        /** Impression whose query_id is already pending or was recently closed (dead-lettered). */
        DUPLICATE_IMPRESSION("duplicate_impression"),
        /** Click whose query_id has no impression (dead-lettered). */
        NO_IMPRESSION("no_impression"),
        /** Click after its impression's window closed (dead-lettered). */
        LATE("late"),
        /** Click on a document its impression did not show (dead-lettered). */
        NOT_SHOWN("not_shown"),
        /** Example of a (query, positive) already emitted within the dedup window. */
        DUPLICATE("duplicate"),
        /** Example over the cap of its user or session. */
        USER_CAP("user_cap"),
        /** Example whose positive document is deleted (or was never published). */
        DOCUMENT_MISSING("document_missing");

        private final String label;

        DropReason(String label) {
            this.label = label;
        }

        /** The snake_case name used in metrics and logs. */
        public String label() {
            return label;
        }
    }

    /** Why a candidate negative was left out of an example (the example itself is kept). */
    public enum NegativeDropReason {
        /** The document is a recent positive for the same query text. */
        RECENT_POSITIVE("recent_positive"),
        /** More candidates than {@code maxNegatives}; the worst-ranked ones are left out. */
        OVER_LIMIT("over_limit"),
        /** The document is deleted (or was never published). */
        DOCUMENT_MISSING("document_missing");

        private final String label;

        NegativeDropReason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Prometheus: {@code embedloop_feedback_dropped_total{reason}}. */
    public static final String DROPPED = "embedloop.feedback.dropped";
    /** Prometheus: {@code embedloop_feedback_dropped_negatives_total{reason}}. */
    public static final String NEGATIVES_DROPPED = "embedloop.feedback.dropped.negatives";

    private final Counter impressions;
    private final Counter clicks;
    private final Counter clicksJoined;
    private final Counter impressionsClosed;
    private final Counter impressionsWithoutClicks;
    private final Counter examplesEmitted;
    private final Counter deadLettered;
    private final Map<DropReason, Counter> dropped = new EnumMap<>(DropReason.class);
    private final Map<NegativeDropReason, Counter> negativesDropped = new EnumMap<>(NegativeDropReason.class);

    /** Counters of their own (tests, eval, the bench). */
    public FeedbackStats() {
        this(Meters.detached());
    }

    /** Counters in {@code registry} (one feedback topology per registry). */
    public FeedbackStats(MeterRegistry registry) {
        impressions = Meters.counter(registry, "embedloop.feedback.impressions", "impressions", "Valid impressions read");
        clicks = Meters.counter(registry, "embedloop.feedback.clicks", "clicks", "Valid clicks read");
        clicksJoined = Meters.counter(registry, "embedloop.feedback.joined", "clicks", "Clicks added to a pending impression");
        impressionsClosed = Meters.counter(registry, "embedloop.feedback.closed", "impressions",
                "Impressions whose window closed and whose pairs were decided");
        impressionsWithoutClicks = Meters.counter(registry, "embedloop.feedback.closed.unclicked", "impressions",
                "Closed impressions that had no click (they produce nothing)");
        examplesEmitted = Meters.counter(registry, "embedloop.feedback.examples", "examples", "Training examples written");
        deadLettered = Meters.counter(registry, "embedloop.feedback.dead.lettered", "records",
                "Impressions and clicks written to the dead-letter topic");
        for (DropReason r : DropReason.values()) {
            dropped.put(r, Meters.counter(registry, DROPPED, null, "Events or examples dropped, by reason", "reason", r.label()));
        }
        for (NegativeDropReason r : NegativeDropReason.values()) {
            negativesDropped.put(r, Meters.counter(registry, NEGATIVES_DROPPED, null,
                    "Candidate negatives left out of an example (the example is kept), by reason", "reason", r.label()));
        }
    }

    void onImpression() { impressions.increment(); }
    void onClick() { clicks.increment(); }
    void onClickJoined() { clicksJoined.increment(); }
    void onImpressionClosed(boolean hadClicks) {
        impressionsClosed.increment();
        if (!hadClicks) {
            impressionsWithoutClicks.increment();
        }
    }
    void onExampleEmitted() { examplesEmitted.increment(); }
    void onDeadLettered() { deadLettered.increment(); }
    void onDropped(DropReason reason) { dropped.get(reason).increment(); }
    void onNegativesDropped(NegativeDropReason reason, int n) { negativesDropped.get(reason).increment(n); }

    /** Valid impressions read. */
    public long impressions() { return Meters.count(impressions); }
    /** Valid clicks read. */
    public long clicks() { return Meters.count(clicks); }
    /** Clicks added to a pending impression. */
    public long clicksJoined() { return Meters.count(clicksJoined); }
    /** Impressions whose window closed and whose pairs were decided. */
    public long impressionsClosed() { return Meters.count(impressionsClosed); }
    /** Closed impressions that had no click (they produce nothing). */
    public long impressionsWithoutClicks() { return Meters.count(impressionsWithoutClicks); }
    /** Training examples written. */
    public long examplesEmitted() { return Meters.count(examplesEmitted); }
    /** Records written to the dead-letter topic. */
    public long deadLettered() { return Meters.count(deadLettered); }
    /** Events or examples dropped for {@code reason}. */
    public long dropped(DropReason reason) { return Meters.count(dropped.get(reason)); }
    /** Candidate negatives left out for {@code reason}. */
    public long negativesDropped(NegativeDropReason reason) { return Meters.count(negativesDropped.get(reason)); }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder()
                .append("impressions=").append(impressions())
                .append(" clicks=").append(clicks())
                .append(" clicks_joined=").append(clicksJoined())
                .append(" impressions_closed=").append(impressionsClosed())
                .append(" impressions_without_clicks=").append(impressionsWithoutClicks())
                .append(" examples=").append(examplesEmitted())
                .append(" dead_lettered=").append(deadLettered());
        for (DropReason r : DropReason.values()) {
            sb.append(" dropped_").append(r.label()).append('=').append(dropped(r));
        }
        for (NegativeDropReason r : NegativeDropReason.values()) {
            sb.append(" negatives_dropped_").append(r.label()).append('=').append(negativesDropped(r));
        }
        return sb.toString();
    }
}
