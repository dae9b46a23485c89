package dev.embedloop.feedback;

import dev.embedloop.events.Impression;
import dev.embedloop.feedback.FeedbackStats.DropReason;
import dev.embedloop.feedback.FeedbackStats.NegativeDropReason;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the pairing rules to closed impressions, partitioned by normalised query text so that
 * "the same query" is judged on one task. In: {@link ClosedImpression} (key =
 * {@link PairingRules#queryKey}). Out: one {@link PairCandidate} per positive that is not a
 * duplicate (key = the impression's identity, or {@code q:<query_id>} when anonymous).
 *
 * <p>State, both with a wall-clock TTL: the recent positives of each query text (a document that
 * was a positive of the query within {@code recentPositiveTtl} is never a negative for it), and the
 * (query, positive) pairs emitted within {@code dedupWindow} (a repeat is dropped as
 * {@code duplicate}; this also absorbs a closed impression decided twice after a crash). A pair is
 * recorded in the dedup store when it passes here, even if the emit stage drops it later.
 *
 * <p>Errors: there is no bad input at this stage (the join stage refused it); an exception from a
 * store fails the stream thread.
 */
final class PairProcessor implements Processor<String, ClosedImpression, String, PairCandidate> {

    private static final Logger LOG = LoggerFactory.getLogger(PairProcessor.class);
    static final char RECENT = 'R';
    static final char DEDUP = 'D';
    /** Separates query key and document id; the query key is hex, so it never contains it. */
    static final String SEP = "|";

    private final FeedbackSettings settings;
    private final PairingRules rules;
    private final FeedbackStats stats;
    private final String recentStoreName;
    private final String dedupStoreName;
    private final String indexStoreName;
    private ProcessorContext<String, PairCandidate> context;
    private KeyValueStore<String, Long> recent;
    private KeyValueStore<String, Long> dedup;
    private ExpiryIndex index;

    PairProcessor(FeedbackSettings settings, FeedbackStats stats, String recentStoreName, String dedupStoreName,
            String indexStoreName) {
        this.settings = settings;
        this.rules = PairingRules.of(settings);
        this.stats = stats;
        this.recentStoreName = recentStoreName;
        this.dedupStoreName = dedupStoreName;
        this.indexStoreName = indexStoreName;
    }

    @Override
    public void init(ProcessorContext<String, PairCandidate> context) {
        this.context = context;
        this.recent = context.getStateStore(recentStoreName);
        this.dedup = context.getStateStore(dedupStoreName);
        this.index = new ExpiryIndex(context.getStateStore(indexStoreName));
        context.schedule(settings.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME, this::purge);
    }

    @Override
    public void process(Record<String, ClosedImpression> record) {
        long now = context.currentSystemTimeMs();
        Impression impression = record.value().impression();
        String queryKey = PairingRules.queryKey(impression.query());
        PairingRules.Pairing pairing = rules.pair(impression, record.value().clicks(), recentPositives(queryKey, now));
        stats.onNegativesDropped(NegativeDropReason.RECENT_POSITIVE, pairing.excludedAsRecentPositive());
        stats.onNegativesDropped(NegativeDropReason.OVER_LIMIT, pairing.excludedOverLimit());
        long recentUntil = now + settings.recentPositiveTtl().toMillis();
        for (PairingRules.Pair pair : pairing.pairs()) {
            String key = queryKey + SEP + pair.positive().docId();
            recent.put(key, recentUntil);
            index.schedule(recentUntil, RECENT, key);
        }
        String identity = PairingRules.identity(impression).orElse(null);
        String outKey = identity != null ? identity : "q:" + impression.queryId();
        long dedupUntil = now + settings.dedupWindow().toMillis();
        for (PairingRules.Pair pair : pairing.pairs()) {
            String key = queryKey + SEP + pair.positive().docId();
            if (ClickJoinProcessor.isLive(dedup.get(key), now)) {
                LOG.debug("duplicate example of impression {} with positive {}", impression.queryId(),
                        pair.positive().docId());
                stats.onDropped(DropReason.DUPLICATE);
                continue;
            }
            dedup.put(key, dedupUntil);
            index.schedule(dedupUntil, DEDUP, key);
            List<PairCandidate.Ranked> negatives = new ArrayList<>(pair.negatives().size());
            for (Impression.Result n : pair.negatives()) {
                negatives.add(new PairCandidate.Ranked(n.docId(), n.rank()));
            }
            context.forward(new Record<>(outKey, new PairCandidate(impression.queryId(), impression.query(),
                    impression.modelVersion(), impression.timestamp(), identity, pair.positive().docId(), negatives,
                    pair.weight()), record.timestamp()));
        }
    }

    private Set<String> recentPositives(String queryKey, long now) {
        Set<String> ids = new HashSet<>();
        String prefix = queryKey + SEP;
        try (KeyValueIterator<String, Long> it = recent.prefixScan(prefix, new StringSerializer())) {
            while (it.hasNext()) {
                var entry = it.next();
                if (ClickJoinProcessor.isLive(entry.value, now)) {
                    ids.add(entry.key.substring(prefix.length()));
                }
            }
        }
        return ids;
    }

    /** Forgets recent positives and dedup entries past their TTL. */
    void purge(long now) {
        for (ExpiryIndex.Due due : index.poll(now, ClickJoinProcessor.MAX_DUE_PER_PUNCTUATION)) {
            KeyValueStore<String, Long> store = due.tag() == RECENT ? recent : due.tag() == DEDUP ? dedup : null;
            if (store != null) {
                Long until = store.get(due.key());
                if (until != null && until <= now) {
                    store.delete(due.key());
                }
            }
        }
    }
}
