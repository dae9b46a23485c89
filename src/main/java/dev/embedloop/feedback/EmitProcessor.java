package dev.embedloop.feedback;

import dev.embedloop.events.TrainingExample;
import dev.embedloop.feedback.FeedbackStats.DropReason;
import dev.embedloop.feedback.FeedbackStats.NegativeDropReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins each decided example with the current document texts, applies the per-identity cap and
 * writes the training example. Partitioned by identity so a user's cap is counted on one task.
 * In: {@link PairCandidate} (key = identity or {@code q:<query_id>}). Out:
 * {@link TrainingExample} (key = query_id, timestamp = wall-clock time of the decision).
 *
 * <p>Texts come from the global documents store, so they are the documents' current texts: a
 * negative whose document is gone is left out ({@code negatives_dropped_document_missing}); an
 * example whose positive is gone is dropped ({@code dropped_document_missing}). Only then is the
 * cap counted, so missing documents do not use up a user's budget. Over the cap an example is
 * dropped as {@code user_cap}.
 *
 * <p>Errors: no bad input reaches this stage; an exception from a store fails the stream thread.
 */
final class EmitProcessor implements Processor<String, PairCandidate, String, TrainingExample> {

    private static final Logger LOG = LoggerFactory.getLogger(EmitProcessor.class);
    static final char CAP = 'U';

    private final FeedbackSettings settings;
    private final FeedbackStats stats;
    private final String documentsStoreName;
    private final String capsStoreName;
    private final String indexStoreName;
    private ProcessorContext<String, TrainingExample> context;
    private KeyValueStore<String, DocumentText> documents;
    private KeyValueStore<String, PairingRules.CapWindow> caps;
    private ExpiryIndex index;

    EmitProcessor(FeedbackSettings settings, FeedbackStats stats, String documentsStoreName, String capsStoreName,
            String indexStoreName) {
        this.settings = settings;
        this.stats = stats;
        this.documentsStoreName = documentsStoreName;
        this.capsStoreName = capsStoreName;
        this.indexStoreName = indexStoreName;
    }

    @Override
    public void init(ProcessorContext<String, TrainingExample> context) {
        this.context = context;
        this.documents = context.getStateStore(documentsStoreName);
        this.caps = context.getStateStore(capsStoreName);
        this.index = new ExpiryIndex(context.getStateStore(indexStoreName));
        context.schedule(settings.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME, this::purge);
    }

    @Override
    public void process(Record<String, PairCandidate> record) {
        long now = context.currentSystemTimeMs();
        PairCandidate c = record.value();
        DocumentText positive = documents.get(c.positiveId());
        if (positive == null) {
            LOG.debug("example of impression {} dropped: positive {} is missing", c.queryId(), c.positiveId());
            stats.onDropped(DropReason.DOCUMENT_MISSING);
            return;
        }
        List<TrainingExample.Negative> negatives = new ArrayList<>(c.negatives().size());
        int missing = 0;
        for (PairCandidate.Ranked n : c.negatives()) {
            DocumentText text = documents.get(n.id());
            if (text == null) {
                missing++;
            } else {
                negatives.add(new TrainingExample.Negative(n.id(), text.text(), n.rank()));
            }
        }
        stats.onNegativesDropped(NegativeDropReason.DOCUMENT_MISSING, missing);
        if (c.identity() != null) {
            PairingRules.CapWindow current = caps.get(c.identity());
            Optional<PairingRules.CapWindow> next = PairingRules.admit(current, now,
                    settings.maxExamplesPerIdentity(), settings.capWindow().toMillis());
            if (next.isEmpty()) {
                LOG.debug("example of impression {} dropped: its identity reached the cap", c.queryId());
                stats.onDropped(DropReason.USER_CAP);
                return;
            }
            caps.put(c.identity(), next.get());
            if (current == null || current.windowEnd() != next.get().windowEnd()) {
                index.schedule(next.get().windowEnd(), CAP, c.identity());
            }
        }
        TrainingExample example = new TrainingExample(c.query(), new TrainingExample.Positive(c.positiveId(),
                positive.text()), negatives, c.weight(), c.modelVersion(), c.queryId(), c.timestamp());
        context.forward(new Record<>(c.queryId(), example, now));
        stats.onExampleEmitted();
    }

    /** Forgets cap windows that ended. */
    void purge(long now) {
        for (ExpiryIndex.Due due : index.poll(now, ClickJoinProcessor.MAX_DUE_PER_PUNCTUATION)) {
            if (due.tag() == CAP) {
                PairingRules.CapWindow w = caps.get(due.key());
                if (w != null && w.windowEnd() <= now) {
                    caps.delete(due.key());
                }
            }
        }
    }
}
