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
    private volatile Resolved resolved;
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
        String collection = collection();
        String version = queryVersion(collection);
        float[] vector = models.encoder(version).encodeQuery(query);
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
        return new Answer(new ArrayList<>(best.values()), version);
    }

    /** The live query model's version. */
    @Override
    public String modelVersion() {
        ModelLineage lineage = models.lineage();
        return lineage.queryVersionFor(lineage.liveDocumentVersion()).orElse(lineage.liveVersion());
    }

    /** The collection behind the alias (the name itself when no such alias exists). */
    private String collection() {
        Resolved r = resolved;
        long now = System.nanoTime();
        if (r != null && now - r.at() < ALIAS_CACHE_NANOS) {
            return r.collection();
        }
        String collection = CollectionBootstrap.aliasTarget(client, alias, timeout).orElse(alias);
        resolved = new Resolved(collection, now);
        return collection;
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

    private record Resolved(String collection, long at) {}

    static String snippet(String text) {
        String flat = text.replaceAll("\\s+", " ").trim();
        return flat.length() <= SNIPPET_CHARS ? flat : flat.substring(0, SNIPPET_CHARS) + "…";
    }
}
