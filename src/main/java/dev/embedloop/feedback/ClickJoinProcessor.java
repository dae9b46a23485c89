package dev.embedloop.feedback;

import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.FeedbackError;
import dev.embedloop.feedback.FeedbackStats.DropReason;
import java.util.List;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins clicks to their impression by query_id within a window, and decides each impression once
 * when its window closes. In: parsed impressions and clicks (key = query_id) and refused records.
 * Out: {@link JoinResult.Closed} (key = {@link PairingRules#queryKey} of the query) for each closed
 * impression that had clicks; {@link JoinResult.ToDeadLetter} for refused records, duplicate
 * impressions and clicks that cannot be joined.
 *
 * <p><b>Time.</b> The window is wall-clock time from the impression's arrival here
 * ({@code context.currentSystemTimeMs()}, which the test driver mocks), and a wall-clock punctuator
 * closes due windows. Stream time would not do: it only moves with input, so when clicks stop the
 * last windows would never close. The record timestamps are not used for the window, so replaying
 * old topics joins like the live run did.
 *
 * <p><b>Once.</b> The punctuator removes a closed impression from the pending store in the same
 * task commit as it forwards it; a click after that finds it in the closed store and is
 * dead-lettered as {@link FeedbackError#LATE}. After a crash under at-least-once a closed impression
 * may be decided again; the dedup store of the pairing stage drops its repeated examples
 * (exactly-once processing removes even that).
 *
 * <p>Errors: a dead letter is the answer to bad input; an exception from a store fails the stream
 * thread (the state is restored from the changelog and the record is processed again).
 */
final class ClickJoinProcessor implements Processor<String, Inbound, String, JoinResult> {

    private static final Logger LOG = LoggerFactory.getLogger(ClickJoinProcessor.class);
    static final char PENDING = 'P';
    static final char CLOSED = 'C';
    /** Bounds the work of one punctuation, e.g. after a long stop; the rest is due next time. */
    static final int MAX_DUE_PER_PUNCTUATION = 10_000;

    private final FeedbackSettings settings;
    private final FeedbackStats stats;
    private final String pendingStoreName;
    private final String closedStoreName;
    private final String indexStoreName;
    private ProcessorContext<String, JoinResult> context;
    private KeyValueStore<String, PendingImpression> pending;
    private KeyValueStore<String, Long> closed;
    private ExpiryIndex index;

    ClickJoinProcessor(FeedbackSettings settings, FeedbackStats stats, String pendingStoreName, String closedStoreName,
            String indexStoreName) {
        this.settings = settings;
        this.stats = stats;
        this.pendingStoreName = pendingStoreName;
        this.closedStoreName = closedStoreName;
        this.indexStoreName = indexStoreName;
    }

    @Override
    public void init(ProcessorContext<String, JoinResult> context) {
        this.context = context;
        this.pending = context.getStateStore(pendingStoreName);
        this.closed = context.getStateStore(closedStoreName);
        this.index = new ExpiryIndex(context.getStateStore(indexStoreName));
        context.schedule(settings.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME, this::closeDue);
    }

    @Override
    public void process(Record<String, Inbound> record) {
        Inbound in = record.value();
        if (in instanceof Inbound.Rejected rejected) {
            context.forward(record.withValue(new JoinResult.ToDeadLetter(rejected.letter())));
        } else if (in instanceof Inbound.ImpressionIn impression) {
            onImpression(record, impression);
        } else if (in instanceof Inbound.ClickIn click) {
            onClick(record, click);
        }
    }

    private void onImpression(Record<String, Inbound> record, Inbound.ImpressionIn in) {
        String id = in.impression().queryId();
        long now = context.currentSystemTimeMs();
        if (pending.get(id) != null || isLive(closed.get(id), now)) {
            refuse(record, in.raw(), FeedbackError.DUPLICATE_IMPRESSION, DropReason.DUPLICATE_IMPRESSION,
                    "an impression with this query_id was already received");
            return;
        }
        long closesAt = now + settings.window().toMillis();
        pending.put(id, new PendingImpression(in.impression(), List.of(), now, closesAt));
        index.schedule(closesAt, PENDING, id);
        LOG.debug("impression {} pending until {}", id, closesAt);
    }

    private void onClick(Record<String, Inbound> record, Inbound.ClickIn in) {
        Click click = in.click();
        String id = click.queryId();
        long now = context.currentSystemTimeMs();
        PendingImpression open = pending.get(id);
        if (open == null) {
            if (isLive(closed.get(id), now)) {
                refuse(record, in.raw(), FeedbackError.LATE, DropReason.LATE,
                        "the impression's window closed before the click arrived");
            } else {
                refuse(record, in.raw(), FeedbackError.NO_IMPRESSION, DropReason.NO_IMPRESSION,
                        "no impression with this query_id is pending");
            }
            return;
        }
        if (open.impression().resultOf(click.docId()) == null) {
            refuse(record, in.raw(), FeedbackError.NOT_SHOWN, DropReason.NOT_SHOWN,
                    "the impression did not show the clicked document");
            return;
        }
        pending.put(id, open.withClick(click));
        stats.onClickJoined();
        LOG.debug("click on {} joined to impression {}", click.docId(), id);
    }

    private void refuse(Record<String, Inbound> record, byte[] raw, FeedbackError code, DropReason reason,
            String text) {
        DeadLetter letter = DeadLetters.letter(context, code, code.label() + ": " + text, record.key(), raw,
                record.timestamp());
        LOG.debug("dead-lettered record {} of query_id {}: {}", DeadLetters.where(letter), record.key(), code);
        stats.onDropped(reason);
        stats.onDeadLettered();
        context.forward(DeadLetters.record(record.key(), new JoinResult.ToDeadLetter(letter), letter));
    }

    /** Decides the impressions whose window has passed, and forgets closed ids past their retention. */
    void closeDue(long now) {
        for (ExpiryIndex.Due due : index.poll(now, MAX_DUE_PER_PUNCTUATION)) {
            if (due.tag() == PENDING) {
                close(due.key(), now);
            } else if (due.tag() == CLOSED) {
                Long until = closed.get(due.key());
                if (until != null && until <= now) {
                    closed.delete(due.key());
                }
            }
        }
    }

    private void close(String id, long now) {
        PendingImpression p = pending.get(id);
        if (p == null || p.closesAt() > now) {
            return;
        }
        pending.delete(id);
        long forgetAt = now + settings.lateClickRetention().toMillis();
        closed.put(id, forgetAt);
        index.schedule(forgetAt, CLOSED, id);
        boolean clicked = !p.clicks().isEmpty();
        stats.onImpressionClosed(clicked);
        LOG.debug("impression {} closed with {} clicked documents", id, p.clicks().size());
        if (clicked) {
            context.forward(new Record<>(PairingRules.queryKey(p.impression().query()),
                    new JoinResult.Closed(new ClosedImpression(p.impression(), p.clicks())), now));
        }
    }

    static boolean isLive(Long until, long now) {
        return until != null && until > now;
    }
}
