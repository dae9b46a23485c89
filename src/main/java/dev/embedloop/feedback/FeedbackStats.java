package dev.embedloop.feedback;

import dev.embedloop.events.Click;
import dev.embedloop.events.Impression;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of the feedback topology, readable while it runs (the CLI prints them, tests assert on
 * them). Thread-safe.
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

    private final AtomicLong impressions = new AtomicLong();
    private final AtomicLong clicks = new AtomicLong();
    private final AtomicLong clicksJoined = new AtomicLong();
    private final AtomicLong impressionsClosed = new AtomicLong();
    private final AtomicLong impressionsWithoutClicks = new AtomicLong();
    private final AtomicLong examplesEmitted = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final Map<DropReason, AtomicLong> dropped = new EnumMap<>(DropReason.class);
    private final Map<NegativeDropReason, AtomicLong> negativesDropped = new EnumMap<>(NegativeDropReason.class);

    public FeedbackStats() {
        for (DropReason r : DropReason.values()) {
            dropped.put(r, new AtomicLong());
        }
        for (NegativeDropReason r : NegativeDropReason.values()) {
            negativesDropped.put(r, new AtomicLong());
        }
    }

    void onImpression() { impressions.incrementAndGet(); }
    void onClick() { clicks.incrementAndGet(); }
    void onClickJoined() { clicksJoined.incrementAndGet(); }
    void onImpressionClosed(boolean hadClicks) {
        impressionsClosed.incrementAndGet();
        if (!hadClicks) {
            impressionsWithoutClicks.incrementAndGet();
        }
    }
    void onExampleEmitted() { examplesEmitted.incrementAndGet(); }
    void onDeadLettered() { deadLettered.incrementAndGet(); }
    void onDropped(DropReason reason) { dropped.get(reason).incrementAndGet(); }
    void onNegativesDropped(NegativeDropReason reason, int n) { negativesDropped.get(reason).addAndGet(n); }

    /** Valid impressions read. */
    public long impressions() { return impressions.get(); }
    /** Valid clicks read. */
    public long clicks() { return clicks.get(); }
    /** Clicks added to a pending impression. */
    public long clicksJoined() { return clicksJoined.get(); }
    /** Impressions whose window closed and whose pairs were decided. */
    public long impressionsClosed() { return impressionsClosed.get(); }
    /** Closed impressions that had no click (they produce nothing). */
    public long impressionsWithoutClicks() { return impressionsWithoutClicks.get(); }
    /** Training examples written. */
    public long examplesEmitted() { return examplesEmitted.get(); }
    /** Records written to the dead-letter topic. */
    public long deadLettered() { return deadLettered.get(); }
    /** Events or examples dropped for {@code reason}. */
    public long dropped(DropReason reason) { return dropped.get(reason).get(); }
    /** Candidate negatives left out for {@code reason}. */
    public long negativesDropped(NegativeDropReason reason) { return negativesDropped.get(reason).get(); }

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
