package dev.embedloop.feedback;

import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.Impression;
import dev.embedloop.events.InterleavingOutcome;
import dev.embedloop.events.JsonSerde;
import dev.embedloop.events.Queries;
import dev.embedloop.events.TrainingExample;
import dev.embedloop.kafka.RecordTimestamps;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The feedback topology: search impressions and clicks → training examples. Built by one pure
 * factory: no clients opened, no threads started.
 *
 * <pre>
 *  search-impressions ─▶ parse ─┐
 *                               ├─▶ join-clicks ──┬─▶ dead letters ─────────────────────────▶ clicks.dlq
 *  clicks ─────────────▶ parse ─┘  (by query_id,  └─▶ closed impressions ─▶ [by-query] ─▶ pair ─▶ [by-identity] ─▶ emit ─▶ training-pairs
 *                                   wall-clock window)                     (recent positives,       (document texts,
 *                                                                           dedup)                   cap per user)
 *  documents ─▶ feedback-documents (global store: id → training text), read by emit
 * </pre>
 *
 * <p><b>Three keys, two repartitions.</b> Clicks meet their impression by query_id (the input key;
 * the impressions and clicks topics must be co-partitioned: same partition count, default
 * partitioner). The rules that speak of "the same query" (recent positives, dedup) need every
 * impression of a query text on one task, so closed impressions are repartitioned by the hash of
 * the normalised query; the cap per user needs every example of a user on one task, so examples
 * are repartitioned by identity. Both repartition topics are internal, named
 * {@code <application.id>-feedback-by-query-repartition} and
 * {@code <application.id>-feedback-by-identity-repartition}.
 *
 * <p><b>Documents.</b> Any document can be in any example, whatever the partition, so the documents
 * topic is read into a global store. Global stores are not changelogged: the documents topic itself
 * (compacted) is their changelog. Every other store is persistent with a compacted changelog.
 *
 * <p><b>Time.</b> Windows and TTLs run on wall-clock time with wall-clock punctuators every
 * {@code punctuationInterval}, so results come out when input goes quiet; see
 * {@link ClickJoinProcessor}.
 *
 * <p>Run it under {@code processing.guarantee=exactly_once_v2} to emit each example once across
 * crashes; under at-least-once the dedup store absorbs repeats within {@code dedupWindow}.
 */
public final class FeedbackTopology {

    public static final String IMPRESSIONS_SOURCE = "feedback-impressions-source";
    public static final String CLICKS_SOURCE = "feedback-clicks-source";
    public static final String PARSE_IMPRESSIONS = "feedback-parse-impressions";
    public static final String PARSE_CLICKS = "feedback-parse-clicks";
    public static final String MERGE = "feedback-merge-inputs";
    public static final String JOIN = "feedback-join-clicks";
    public static final String ROUTE = "feedback-route";
    public static final String DEAD_LETTER_BRANCH = "-dead-letter";
    public static final String CLOSED_BRANCH = "-closed";
    public static final String UNWRAP_DEAD_LETTER = "feedback-unwrap-dead-letter";
    public static final String UNWRAP_CLOSED = "feedback-unwrap-closed";
    public static final String DEAD_LETTER_SINK = "feedback-dead-letter-sink";
    public static final String BY_QUERY = "feedback-by-query";
    public static final String PAIR = "feedback-pair";
    public static final String BY_IDENTITY = "feedback-by-identity";
    public static final String EMIT = "feedback-emit";
    public static final String TRAINING_PAIRS_SINK = "feedback-training-pairs-sink";
    public static final String INTERLEAVED = "feedback-interleaved";
    public static final String OUTCOME = "feedback-interleaving-outcome";
    public static final String OUTCOMES_SINK = "feedback-interleaving-outcomes-sink";
    /** The global store's source is named {@code feedback-documents-source}, its processor this. */
    public static final String DOCUMENTS = "feedback-documents";

    public static final String PENDING_STORE = "feedback-pending-impressions-store";
    public static final String CLOSED_STORE = "feedback-closed-impressions-store";
    public static final String JOIN_EXPIRY_STORE = "feedback-join-expiry-store";
    public static final String RECENT_POSITIVES_STORE = "feedback-recent-positives-store";
    public static final String DEDUP_STORE = "feedback-dedup-store";
    public static final String PAIR_EXPIRY_STORE = "feedback-pair-expiry-store";
    public static final String CAPS_STORE = "feedback-identity-caps-store";
    public static final String EMIT_EXPIRY_STORE = "feedback-emit-expiry-store";
    public static final String DOCUMENTS_STORE = "feedback-documents-store";

    private FeedbackTopology() {}

    /**
     * The topology for {@code settings}. Pure: the processors are created only when Kafka Streams
     * (or the test driver) starts tasks; {@code stats} is shared by all of them.
     */
    public static Topology build(FeedbackSettings settings, FeedbackStats stats) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DOCUMENTS_STORE), Serdes.String(),
                        JsonSerde.of(DocumentText.class)).withLoggingDisabled(),
                settings.documentsTopic(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withTimestampExtractor(new RecordTimestamps())
                        .withName(DOCUMENTS),
                () -> new DocumentTextUpdater(settings.maxTextChars(), DOCUMENTS_STORE));
        builder.addStateStore(logged(PENDING_STORE, JsonSerde.of(PendingImpression.class)));
        builder.addStateStore(logged(CLOSED_STORE, Serdes.Long()));
        builder.addStateStore(logged(JOIN_EXPIRY_STORE, Serdes.String()));
        builder.addStateStore(logged(RECENT_POSITIVES_STORE, Serdes.Long()));
        builder.addStateStore(logged(DEDUP_STORE, Serdes.Long()));
        builder.addStateStore(logged(PAIR_EXPIRY_STORE, Serdes.String()));
        builder.addStateStore(logged(CAPS_STORE, JsonSerde.of(PairingRules.CapWindow.class)));
        builder.addStateStore(logged(EMIT_EXPIRY_STORE, Serdes.String()));

        FeedbackInputParser parser = new FeedbackInputParser();
        KStream<String, Inbound> impressions = builder
                .stream(settings.impressionsTopic(),
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withTimestampExtractor(new RecordTimestamps())
                                .withName(IMPRESSIONS_SOURCE))
                .process(() -> new ParseProcessor(ParseProcessor.Kind.IMPRESSIONS, parser, stats),
                        Named.as(PARSE_IMPRESSIONS));
        KStream<String, Inbound> clicks = builder
                .stream(settings.clicksTopic(),
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withTimestampExtractor(new RecordTimestamps())
                                .withName(CLICKS_SOURCE))
                .process(() -> new ParseProcessor(ParseProcessor.Kind.CLICKS, parser, stats), Named.as(PARSE_CLICKS));

        impressions.merge(clicks, Named.as(MERGE))
                .process(() -> new ClickJoinProcessor(settings, stats, PENDING_STORE, CLOSED_STORE, JOIN_EXPIRY_STORE),
                        Named.as(JOIN), PENDING_STORE, CLOSED_STORE, JOIN_EXPIRY_STORE)
                .split(Named.as(ROUTE))
                .branch((key, value) -> value instanceof JoinResult.ToDeadLetter, Branched.withConsumer(letters -> letters
                        .mapValues(value -> ((JoinResult.ToDeadLetter) value).letter(), Named.as(UNWRAP_DEAD_LETTER))
                        .to(settings.clicksDeadLetterTopic(),
                                Produced.with(Serdes.String(), JsonSerde.of(DeadLetter.class)).withName(DEAD_LETTER_SINK)),
                        DEAD_LETTER_BRANCH))
                .defaultBranch(Branched.withConsumer(closedResults -> {
                    KStream<String, ClosedImpression> closed = closedResults
                        .mapValues(value -> ((JoinResult.Closed) value).impression(), Named.as(UNWRAP_CLOSED));
                    // interleaved pages: which team got more clicks, for the trainer's online gate
                    closed.filter((key, c) -> c.impression().interleaved(), Named.as(INTERLEAVED))
                        .map((key, c) -> KeyValue.pair(c.impression().candidateVersion(), outcome(c)), Named.as(OUTCOME))
                        .to(settings.interleavingOutcomesTopic(),
                                Produced.with(Serdes.String(), JsonSerde.of(InterleavingOutcome.class))
                                        .withName(OUTCOMES_SINK));
                    closed
                        .repartition(Repartitioned.<String, ClosedImpression>as(BY_QUERY)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(JsonSerde.of(ClosedImpression.class)))
                        .process(() -> new PairProcessor(settings, stats, RECENT_POSITIVES_STORE, DEDUP_STORE,
                                PAIR_EXPIRY_STORE), Named.as(PAIR), RECENT_POSITIVES_STORE, DEDUP_STORE, PAIR_EXPIRY_STORE)
                        .repartition(Repartitioned.<String, PairCandidate>as(BY_IDENTITY)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(JsonSerde.of(PairCandidate.class)))
                        .process(() -> new EmitProcessor(settings, stats, DOCUMENTS_STORE, CAPS_STORE, EMIT_EXPIRY_STORE),
                                Named.as(EMIT), CAPS_STORE, EMIT_EXPIRY_STORE)
                        .to(settings.trainingPairsTopic(),
                                Produced.with(Serdes.String(), JsonSerde.of(TrainingExample.class))
                                        .withName(TRAINING_PAIRS_SINK));
                }, CLOSED_BRANCH));
        return builder.build();
    }

    /** The teams' clicks of one closed interleaved impression (each clicked document counts once). */
    static InterleavingOutcome outcome(ClosedImpression c) {
        Impression imp = c.impression();
        List<String> teams = new java.util.ArrayList<>();
        java.util.Map<Integer, String> byRank = new java.util.TreeMap<>();
        for (Impression.Result r : imp.results()) {
            byRank.put(r.rank(), r.team());
        }
        int maxRank = byRank.isEmpty() ? 0 : ((java.util.TreeMap<Integer, String>) byRank).lastKey();
        for (int rank = 1; rank <= maxRank; rank++) {
            teams.add(byRank.get(rank));
        }
        List<Integer> clicked = new java.util.ArrayList<>();
        for (Click click : c.clicks()) {
            Impression.Result r = imp.resultOf(click.docId());
            if (r != null) {
                clicked.add(r.rank());
            }
        }
        return InterleavingOutcome.of(imp.queryId(), imp.modelVersion(), imp.candidateVersion(), teams, clicked,
                imp.timestamp(), Queries.key(imp.query()));
    }

    private static <V> StoreBuilder<KeyValueStore<String, V>> logged(String name, Serde<V> valueSerde) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), valueSerde)
                .withLoggingEnabled(Map.of("cleanup.policy", "compact"));
    }
}
