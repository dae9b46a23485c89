package dev.embedloop.search;

import static io.qdrant.client.QueryFactory.fusion;
import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.WithPayloadSelectorFactory.enable;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.EncoderOptions;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.lineage.ModelStore;
import dev.embedloop.lineage.ModelUpdatesFollower;
import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.qdrant.CollectionBootstrap;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.QdrantSink;
import dev.embedloop.qdrant.SparseVector;
import dev.embedloop.sparse.Bm25;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.Fusion;
import io.qdrant.client.grpc.Points.PrefetchQuery;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.ScoredPoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Answers queries: finds the collection behind the alias, encodes the query with the model that
 * matches that collection's documents (query prefix applied), asks exactly that collection, and
 * keeps the best chunk of each document.
 *
 * <p>Version matching: the collection {@code <alias>__<v>} holds document vectors of model v; the
 * query model is {@link dev.embedloop.lineage.ModelLineage#queryVersionFor(String)} of v (v itself,
 * or a query-only model trained against it). Asking the resolved collection rather than the alias
 * means an alias move between the two steps cannot pair a query vector with the wrong documents;
 * the old collection is retained after a move, so such a query is still answered (by the old pair).
 */
public final class Searcher implements SearchBackend, AutoCloseable {

    /** Chunks fetched per requested document, so that k distinct documents survive grouping. */
    private static final int OVERSAMPLE = 4;
    private static final int SNIPPET_CHARS = 240;

    /** How long an alias lookup is reused. */
    private static final long ALIAS_CACHE_NANOS = 200_000_000L;
    /** How long a search waits for model-updates to announce the version of a collection it meets. */
    private static final Duration UNKNOWN_VERSION_WAIT = Duration.ofSeconds(10);

    private final QdrantClient client;
    private final QueryModels models;
    private final String alias;
    private final Duration timeout;
    private volatile Live live;
    private final List<AutoCloseable> owned = new ArrayList<>();
    /** BM25 query vectors for hybrid retrieval, or null for dense search alone. */
    private volatile Bm25 bm25;

    /** A searcher with one fixed query model (no model updates followed). */
    public Searcher(QdrantClient client, TextEncoder encoder, String alias, Duration timeout) {
        this(client, QueryModels.fixed(encoder), alias, timeout);
    }

    public Searcher(QdrantClient client, QueryModels models, String alias, Duration timeout) {
        this.client = client;
        this.models = models;
        this.alias = alias;
        this.timeout = timeout;
    }

    /**
     * A searcher that follows {@code model-updates} (created when missing): it serves the query
     * model that matches the alias's collection, hot-swapping when the alias moves or a query-only
     * model is promoted. Closing it stops the follower and the promoted models' encoders; the base
     * encoder and the client stay owned by the caller.
     */
    public static Searcher following(EmbedloopConfig cfg, TextEncoder base, EncoderOptions options,
            QdrantClient client) {
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.modelTopics(cfg));
        ModelUpdatesFollower follower = ModelUpdatesFollower.startCaughtUp(cfg.kafkaProperties(),
                cfg.topics().modelUpdates(), base.model().version(), Duration.ofSeconds(60));
        // promoted models are rebuilt from their model-updates record into this host's own store
        java.nio.file.Path localStore = java.nio.file.Path.of(cfg.reader().nonBlank("model.local-store"));
        QueryModels models = QueryModels.following(base, follower, options,
                update -> ModelStore.materialise(update, localStore, BundledModels.resolveModel(cfg.model())));
        Searcher searcher = new Searcher(client, models, cfg.qdrant().collection(), cfg.qdrant().timeout());
        if (cfg.qdrant().sparse()) {
            searcher.hybrid();
        }
        searcher.owned.add(models);
        searcher.owned.add(follower);
        return searcher;
    }

    /**
     * Switches to hybrid retrieval: the dense and the BM25 sparse vector each fetch candidates, and
     * Qdrant fuses the two lists by reciprocal rank fusion (the collections must have been made with
     * {@code index.sparse=bm25}). Scores are then RRF scores, not cosines.
     */
    public Searcher hybrid() {
        this.bm25 = Bm25.standard();
        return this;
    }

    /** The query models in use (lineage and encoders). */
    public QueryModels models() {
        return models;
    }

    @Override
    public void close() {
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception e) {
                // closing: nothing left to do with it
            }
        }
    }

    /** The top {@code k} documents for {@code query}, best first. */
    @Override
    public List<Hit> search(String query, int k) {
        return answer(query, k).hits();
    }

    @Override
    public Answer answer(String query, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        Live now = live();
        String collection = now.collection();
        String version = now.version();
        float[] vector = models.encoder(version).encodeQuery(query);
        return new Answer(hits(collection, query, vector, k), version);
    }

    /**
     * The top {@code k} documents of {@code collection} for {@code vector}, best chunk per document;
     * in hybrid mode fused with the BM25 ranking of {@code query}.
     */
    private List<Hit> hits(String collection, String query, float[] vector, int k) {
        long limit = Math.min(1000, (long) k * OVERSAMPLE);
        QueryPoints.Builder request = QueryPoints.newBuilder()
                .setCollectionName(collection)
                .setLimit(limit)
                .setWithPayload(enable(true));
        Bm25 lexical = bm25;
        SparseVector terms = lexical == null ? null : lexical.query(query);
        if (terms == null || terms.isEmpty()) {
            request.setQuery(nearest(vector));
        } else {
            List<Float> values = new ArrayList<>(terms.values().length);
            List<Integer> indices = new ArrayList<>(terms.indices().length);
            for (int i = 0; i < terms.indices().length; i++) {
                indices.add(terms.indices()[i]);
                values.add(terms.values()[i]);
            }
            // each list fetches more than k chunks, so that fusion can bring up what only one list ranks high
            long each = Math.min(1000, limit * 2);
            request.addPrefetch(PrefetchQuery.newBuilder().setQuery(nearest(vector)).setLimit(each))
                    .addPrefetch(PrefetchQuery.newBuilder().setQuery(nearest(values, indices))
                            .setUsing(QdrantSink.SPARSE_VECTOR).setLimit(each))
                    .setQuery(fusion(Fusion.RRF));
        }
        List<ScoredPoint> points = Qdrant.await(client.queryAsync(request.build(), timeout), timeout,
                "query " + collection);
        Map<String, Hit> best = new LinkedHashMap<>();
        for (ScoredPoint p : points) {
            Map<String, Value> payload = p.getPayloadMap();
            String docId = payload.containsKey(QdrantSink.DOC_ID) ? payload.get(QdrantSink.DOC_ID).getStringValue()
                    : p.getId().getUuid();
            if (best.containsKey(docId)) {
                continue; // results come best first: the first chunk seen is the document's best
            }
            String text = payload.containsKey(QdrantSink.TEXT) ? payload.get(QdrantSink.TEXT).getStringValue() : null;
            best.put(docId, new Hit(
                    docId,
                    payload.containsKey(QdrantSink.CHUNK) ? (int) payload.get(QdrantSink.CHUNK).getIntegerValue() : 0,
                    p.getScore(),
                    payload.containsKey(QdrantSink.TITLE) ? payload.get(QdrantSink.TITLE).getStringValue() : null,
                    text == null ? null : snippet(text)));
            if (best.size() == k) {
                break;
            }
        }
        return new ArrayList<>(best.values());
    }

    /**
     * A team-draft interleaving of the live model's and the candidate-under-test's rankings
     * ({@link Interleaving#teamDraft}), each from its own query model and collection: a query-only
     * candidate searches the live collection, a symmetric one its own {@code <alias>__<version>},
     * which must be filled first (at least as many points as the live collection). Empty when no
     * candidate is under test against the live model, its collection is not ready, or the query is
     * one the candidate was trained on (its record's {@code trained_queries}): the online gate does
     * not count those, since users who repeat a query prefer a model that memorised its clicks, so
     * interleaving them would show users an untested model for no evidence. Serve {@link #answer}
     * then.
     */
    @Override
    public java.util.Optional<InterleavedAnswer> answerInterleaved(String query, int k,
            java.util.random.RandomGenerator random) {
        Live now = live();
        java.util.Optional<Candidate> candidate = candidate(now);
        if (candidate.isEmpty() || candidate.get().trainedOn(query)) {
            return java.util.Optional.empty();
        }
        Candidate c = candidate.get();
        List<Hit> live = hits(now.collection(), query, models.encoder(now.version()).encodeQuery(query), k);
        List<Hit> cand = hits(c.collection(), query, models.encoder(c.version()).encodeQuery(query), k);
        List<Interleaving.Pick<Hit>> picks = Interleaving.teamDraft(live, cand, k, Hit::docId, random);
        return java.util.Optional.of(new InterleavedAnswer(picks.stream().map(Interleaving.Pick::item).toList(),
                picks.stream().map(p -> p.team().wire()).toList(), now.version(), c.version()));
    }

    /**
     * The candidate under test's own top {@code k} (its query model and collection), as
     * {@link #answerInterleaved} would draw from it; empty when none is ready. For evaluation
     * reports: never shown to users.
     */
    public java.util.Optional<List<Hit>> searchCandidate(String query, int k) {
        return candidate(live()).map(c -> hits(c.collection(), query, models.encoder(c.version()).encodeQuery(query), k));
    }

    /**
     * A candidate under test, the collection it searches and the keys of the queries it was trained
     * on (null: its record does not list them).
     */
    private record Candidate(String version, String collection, java.util.Set<String> trainedQueries) {
        boolean trainedOn(String query) {
            return trainedQueries != null && trainedQueries.contains(dev.embedloop.events.Queries.key(query));
        }
    }

    /** The keys of the queries one model version was trained on (null: its record does not list them). */
    private record TrainedQueries(String version, java.util.Set<String> keys) {}

    /** Those of the last candidate asked about: its record is read once per version, not per search. */
    private volatile TrainedQueries trainedCache;

    private java.util.Set<String> trainedQueries(dev.embedloop.lineage.ModelUpdate c) {
        TrainedQueries cached = trainedCache;
        if (cached == null || !cached.version().equals(c.version())) {
            java.util.Set<String> keys = c.trainedQueryKeys();
            cached = new TrainedQueries(c.version(), keys == null ? null : java.util.Set.copyOf(keys));
            trainedCache = cached;
        }
        return cached.keys();
    }

    /** The candidate under test against {@code now}'s model whose collection is ready, if any. */
    private java.util.Optional<Candidate> candidate(Live now) {
        java.util.Optional<dev.embedloop.lineage.ModelUpdate> candidate = models.lineage().underTest()
                .filter(c -> c.parent().equals(now.version()));
        if (candidate.isEmpty()) {
            return java.util.Optional.empty();
        }
        dev.embedloop.lineage.ModelUpdate c = candidate.get();
        String collection = c.symmetric() ? CollectionBootstrap.collectionName(alias, c.version()) : now.collection();
        if (c.symmetric() && !filled(collection, now.collection())) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Candidate(c.version(), collection, trainedQueries(c)));
    }

    private boolean filled(String shadow, String liveCollection) {
        try {
            long shadowCount = Qdrant.await(client.countAsync(shadow, timeout), timeout, "count " + shadow);
            long liveCount = Qdrant.await(client.countAsync(liveCollection, timeout), timeout, "count " + liveCollection);
            return shadowCount > 0 && shadowCount >= liveCount;
        } catch (RuntimeException e) {
            return false; // not there (yet)
        }
    }

    /**
     * The live model as this search service serves it: one snapshot of (query model version,
     * collection), switched atomically. Every reader — {@link #answer}, {@link #modelVersion()},
     * {@code /health}, the metrics — takes the version from here, so all of them report the same
     * model at every moment of a promotion: a search answered with a snapshot reports that
     * snapshot's version, and the snapshot moves only when its query model is loaded.
     *
     * @param version the query model's version (what answers carry as {@code model_version})
     * @param collection the collection the queries go to (behind the alias)
     */
    public record Live(String version, String collection) {}

    /** The live snapshot (looked up again at most every 200 ms, or when model-updates changed). */
    public Live live() {
        Live l = live;
        long now = System.nanoTime();
        ModelLineage lineage = models.lineage();
        if (l != null && now - liveAt < ALIAS_CACHE_NANOS && lineage == liveLineage) {
            return l;
        }
        synchronized (this) {
            l = live;
            if (l != null && now - liveAt < ALIAS_CACHE_NANOS && lineage == liveLineage) {
                return l;
            }
            String collection = CollectionBootstrap.aliasTarget(client, alias, timeout).orElse(alias);
            String version = queryVersion(collection);
            models.encoder(version); // loaded before it is announced anywhere
            Live next = new Live(version, collection);
            liveLineage = lineage;
            liveAt = System.nanoTime();
            live = next;
            return next;
        }
    }

    /** The live query model's version: the one {@link #live()} snapshot every reader uses. */
    @Override
    public String modelVersion() {
        return live().version();
    }

    /** The query model for the documents in {@code collection}. */
    private String queryVersion(String collection) {
        if (collection.equals(alias)) {
            return models.lineage().liveVersion(); // a plain collection, no alias: the live model
        }
        Optional<String> version = queryVersion(models.lineage(), collection);
        if (version.isEmpty()) {
            // the indexer moved the alias to a model this process has not read about yet
            models.await(l -> queryVersion(l, collection).isPresent(), UNKNOWN_VERSION_WAIT);
            version = queryVersion(models.lineage(), collection);
        }
        return version.orElseThrow(() -> new Qdrant.QdrantException("the alias " + alias + " points at " + collection
                + ", whose model version is unknown to this search service", null, true));
    }

    private Optional<String> queryVersion(ModelLineage lineage, String collection) {
        for (String v : lineage.versions()) {
            if (CollectionBootstrap.collectionName(alias, v).equals(collection)) {
                return lineage.queryVersionFor(v);
            }
        }
        return Optional.empty();
    }

    private volatile long liveAt;
    private volatile ModelLineage liveLineage;

    static String snippet(String text) {
        String flat = text.replaceAll("\\s+", " ").trim();
        return flat.length() <= SNIPPET_CHARS ? flat : flat.substring(0, SNIPPET_CHARS) + "…";
    }
}
