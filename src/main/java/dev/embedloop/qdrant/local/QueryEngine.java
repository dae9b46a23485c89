package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Points.ContextInput;
import io.qdrant.client.grpc.Points.ContextInputPair;
import io.qdrant.client.grpc.Points.Mmr;
import io.qdrant.client.grpc.Points.NearestInputWithMmr;
import io.qdrant.client.grpc.Points.PrefetchQuery;
import io.qdrant.client.grpc.Points.Query;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.RecommendInput;
import io.qdrant.client.grpc.Points.RecommendStrategy;
import io.qdrant.client.grpc.Points.Sample;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.SearchPoints;
import io.qdrant.client.grpc.Points.VectorInput;
import io.qdrant.client.grpc.Points.WithPayloadSelector;
import io.qdrant.client.grpc.Points.WithVectorsSelector;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs {@code Search} and the universal {@code Query} API: nearest (by vector or by point id), recommend (average
 * vector, best score, sum of scores), discover, context, nearest with MMR, {@code order_by}, random sample, and
 * prefetches combined
 * by rescoring or by fusion (RRF, DBSF), with Qdrant's order of checks and defaults.
 *
 * <p>A query with prefetches works on their results only: each prefetch runs (recursively) with its own filter
 * and the outer one, then the outer query rescores, fuses or orders the union. The caller holds the collection's
 * read lock.
 */
final class QueryEngine {

    /** Qdrant's default {@code limit} of a query and of a prefetch. */
    static final int DEFAULT_LIMIT = 10;

    private final PointStore points;
    private final VectorSearch search;
    private final PayloadOrder order;
    private final PointOutput output;

    QueryEngine(PointStore points, VectorSearch search, PayloadOrder order, PointOutput output) {
        this.points = points;
        this.search = search;
        this.order = order;
        this.output = output;
    }

    /** One level of a query: the request itself or one of its prefetches. */
    record Stage(List<PrefetchQuery> prefetch, Query query, String using, Filter filter, Float threshold,
                 long limit) {

        static Stage of(PrefetchQuery p) {
            if (p.hasLookupFrom()) {
                throw QdrantErrors.unsupported("lookup_from");
            }
            return new Stage(p.getPrefetchList(), p.hasQuery() ? p.getQuery() : null,
                    p.hasUsing() ? p.getUsing() : "", p.hasFilter() ? p.getFilter() : null,
                    p.hasScoreThreshold() ? p.getScoreThreshold() : null,
                    p.hasLimit() ? VectorSearch.unsigned(p.getLimit()) : DEFAULT_LIMIT);
        }
    }

    List<ScoredPoint> search(SearchPoints request) {
        if (request.getLimit() == 0) {
            throw QdrantErrors.validation("limit", "value 0 invalid, must be 1 or larger");
        }
        if (request.hasSparseIndices()) {
            int store = sparseStore(request.hasVectorName() ? request.getVectorName() : "");
            long offset = request.hasOffset() ? VectorSearch.unsigned(request.getOffset()) : 0;
            List<ScoredHit> hits = search.topSparse(store,
                    SparseVec.of(request.getSparseIndices().getDataList(), request.getVectorList()),
                    points.compile(request.getFilter()), null, Set.of(),
                    VectorSearch.unsigned(request.getLimit()) + offset,
                    request.hasScoreThreshold() ? request.getScoreThreshold() : null);
            return output(hits, offset, request.getWithPayload(),
                    request.hasWithVectors() ? request.getWithVectors() : null);
        }
        float[] vector = new float[request.getVectorCount()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = request.getVector(i);
        }
        long offset = request.hasOffset() ? VectorSearch.unsigned(request.getOffset()) : 0;
        int store = points.schema().index(request.hasVectorName() ? request.getVectorName() : "");
        DenseVectors vectors = points.schema().store(store);
        QueryScorer scorer = QueryScorer.nearest(vectors.distance, VectorSchema.checked(vector, vectors));
        List<ScoredHit> hits = search.top(store, scorer, points.compile(request.getFilter()), null, Set.of(),
                VectorSearch.unsigned(request.getLimit()) + offset,
                request.hasScoreThreshold() ? request.getScoreThreshold() : null);
        return output(hits, offset, request.getWithPayload(),
                request.hasWithVectors() ? request.getWithVectors() : null);
    }

    /** Validates the top level of a query; returns its limit. */
    static long limit(QueryPoints request) {
        if (request.hasLimit() && request.getLimit() == 0) {
            throw QdrantErrors.validation("limit", "value 0 invalid, must be 1 or larger");
        }
        return request.hasLimit() ? VectorSearch.unsigned(request.getLimit()) : DEFAULT_LIMIT;
    }

    List<ScoredPoint> query(QueryPoints request) {
        long limit = limit(request);
        long offset = request.hasOffset() ? VectorSearch.unsigned(request.getOffset()) : 0;
        List<ScoredHit> hits = run(top(request, limit + offset), Filters.ALL);
        return output(hits, offset, request.hasWithPayload() ? request.getWithPayload()
                : WithPayloadSelector.getDefaultInstance(), request.hasWithVectors() ? request.getWithVectors() : null);
    }

    /** The top level of a query request as a stage asking for {@code wanted} hits. */
    static Stage top(QueryPoints request, long wanted) {
        if (request.hasLookupFrom()) {
            throw QdrantErrors.unsupported("lookup_from");
        }
        return new Stage(request.getPrefetchList(), request.hasQuery() ? request.getQuery() : null,
                request.hasUsing() ? request.getUsing() : "", request.hasFilter() ? request.getFilter() : null,
                request.hasScoreThreshold() ? request.getScoreThreshold() : null, wanted);
    }

    List<ScoredPoint> output(List<ScoredHit> hits, long offset, WithPayloadSelector withPayload,
                             WithVectorsSelector withVectors) {
        List<ScoredPoint> out = new ArrayList<>();
        for (int i = (int) Math.min(offset, hits.size()); i < hits.size(); i++) {
            out.add(output.scored(hits.get(i), withPayload, withVectors));
        }
        return out;
    }

    /** Runs one stage: its prefetches first, then its own query over their results (or over everything). */
    List<ScoredHit> run(Stage stage, Filters.Cond inherited) {
        Filters.Cond own = points.compile(stage.filter());
        Filters.Cond filter = and(inherited, own);
        List<List<ScoredHit>> sources = new ArrayList<>();
        for (PrefetchQuery p : stage.prefetch()) {
            sources.add(run(Stage.of(p), filter));
        }
        Collection<PointEntry> within = sources.isEmpty() ? null : union(sources);
        Query q = stage.query();
        if (q == null) {
            if (sources.size() == 1) {
                return head(sources.get(0), stage.limit());
            }
            return search.firstById(filter, within, stage.limit());
        }
        switch (q.getVariantCase()) {
            case FUSION -> {
                requirePrefetch(sources, "Fusion");
                return threshold(head(switch (q.getFusion()) {
                    case RRF -> Fusion.rrf(sources, Fusion.DEFAULT_RRF_K, List.of());
                    case DBSF -> Fusion.dbsf(sources);
                    default -> throw QdrantErrors.invalidArgument("Unknown fusion method");
                }, stage.limit()), stage.threshold());
            }
            case RRF -> {
                requirePrefetch(sources, "Fusion");
                int k = q.getRrf().hasK() ? q.getRrf().getK() : Fusion.DEFAULT_RRF_K;
                return threshold(head(Fusion.rrf(sources, k, q.getRrf().getWeightsList()), stage.limit()),
                        stage.threshold());
            }
            case ORDER_BY -> {
                return order.order(q.getOrderBy(), within == null ? points.all() : byId(within), filter,
                        stage.limit());
            }
            case SAMPLE -> {
                return sample(q.getSample(), within == null ? points.all() : within, filter, stage.limit());
            }
            case VARIANT_NOT_SET -> throw QdrantErrors.invalidArgument("Query is missing a variant");
            case NEAREST, RECOMMEND, DISCOVER, CONTEXT -> {
                int sparse = points.schema().sparseIndex(stage.using());
                if (sparse >= 0) {
                    if (q.getVariantCase() != Query.VariantCase.NEAREST) {
                        throw QdrantErrors.unsupported("recommend, discover and context over sparse vectors");
                    }
                    Set<PointKey> exclude = new HashSet<>();
                    return search.topSparse(sparse, sparseVector(q.getNearest(), sparse, exclude), filter, within,
                            exclude, stage.limit(), stage.threshold());
                }
                int store = points.schema().index(stage.using());
                Set<PointKey> exclude = new HashSet<>();
                QueryScorer scorer = scorer(q, store, exclude);
                return search.top(store, scorer, filter, within, exclude, stage.limit(), stage.threshold());
            }
            case FORMULA -> throw QdrantErrors.unsupported("formula queries");
            case NEAREST_WITH_MMR -> {
                return mmr(q.getNearestWithMmr(), stage, filter, sources, within);
            }
            case RELEVANCE_FEEDBACK -> throw QdrantErrors.unsupported("relevance feedback queries");
            default -> throw QdrantErrors.invalidArgument("Unknown query variant");
        }
    }

    /** Nearest with MMR: candidates (a nearest search, or the prefetches' results) re-ranked for diversity. */
    private List<ScoredHit> mmr(NearestInputWithMmr query, Stage stage, Filters.Cond filter,
                                List<List<ScoredHit>> sources, Collection<PointEntry> within) {
        if (points.schema().sparseIndex(stage.using()) >= 0) {
            throw QdrantErrors.unsupported("MMR over sparse vectors");
        }
        Mmr mmr = query.getMmr();
        if (mmr.hasDiversity() && !(mmr.getDiversity() >= 0 && mmr.getDiversity() <= 1)) {
            throw QdrantErrors.validation("mmr.diversity", "value " + mmr.getDiversity()
                    + " invalid, must be in the range 0.0..=1.0");
        }
        float lambda = mmr.hasDiversity() ? 1 - mmr.getDiversity() : 0.5f;
        int store = points.schema().index(stage.using());
        Set<PointKey> exclude = new HashSet<>();
        float[] vector = vector(query.getNearest(), store, exclude, true);
        List<ScoredHit> candidates;
        if (sources.isEmpty()) {
            long candidatesLimit = mmr.hasCandidatesLimit() ? mmr.getCandidatesLimit() : stage.limit();
            candidates = search.top(store, QueryScorer.nearest(points.schema().store(store).distance, vector),
                    filter, null, exclude, candidatesLimit, stage.threshold());
        } else {
            Map<PointKey, ScoredHit> unique = new LinkedHashMap<>();
            for (List<ScoredHit> source : sources) {
                for (ScoredHit hit : source) {
                    if (filter.test(hit.entry().payload, hit.entry())) {
                        unique.putIfAbsent(hit.entry().id, hit);
                    }
                }
            }
            candidates = new ArrayList<>(unique.values());
        }
        return MaximalMarginalRelevance.select(candidates, points.schema().store(store), store, vector, lambda,
                stage.limit());
    }

    private QueryScorer scorer(Query q, int store, Set<PointKey> exclude) {
        DenseVectors vectors = points.schema().store(store);
        Distance distance = vectors.distance;
        switch (q.getVariantCase()) {
            case NEAREST:
                return QueryScorer.nearest(distance, vector(q.getNearest(), store, exclude, true));
            case RECOMMEND: {
                RecommendInput r = q.getRecommend();
                RecommendStrategy strategy = r.hasStrategy() ? r.getStrategy() : RecommendStrategy.AverageVector;
                List<float[]> positives = new ArrayList<>();
                List<float[]> negatives = new ArrayList<>();
                boolean average = strategy == RecommendStrategy.AverageVector;
                for (VectorInput v : r.getPositiveList()) {
                    positives.add(vector(v, store, exclude, !average));
                }
                for (VectorInput v : r.getNegativeList()) {
                    negatives.add(vector(v, store, exclude, !average));
                }
                switch (strategy) {
                    case AverageVector -> {
                        if (positives.isEmpty()) {
                            throw QdrantErrors.badRequest("At least one positive vector ID required with this"
                                    + " strategy");
                        }
                        return QueryScorer.nearest(distance, VectorSchema.checked(average(positives, negatives),
                                vectors));
                    }
                    case BestScore, SumScores -> {
                        if (positives.isEmpty() && negatives.isEmpty()) {
                            throw QdrantErrors.badRequest("At least one positive or negative vector ID required"
                                    + " with this strategy");
                        }
                        return strategy == RecommendStrategy.BestScore
                                ? QueryScorer.bestScore(distance, positives, negatives)
                                : QueryScorer.sumScores(distance, positives, negatives);
                    }
                    default -> throw QdrantErrors.invalidArgument("Unknown recommend strategy");
                }
            }
            case DISCOVER: {
                float[] target = vector(q.getDiscover().getTarget(), store, exclude, true);
                List<float[][]> pairs = pairs(q.getDiscover().getContext(), store, exclude);
                if (pairs.isEmpty()) {
                    // without context, discovery is a plain search for the target
                    return QueryScorer.nearest(distance, target);
                }
                return QueryScorer.discover(distance, target, pairs);
            }
            case CONTEXT:
                return QueryScorer.context(distance, pairs(q.getContext(), store, exclude));
            default:
                throw new IllegalArgumentException(q.getVariantCase().toString());
        }
    }

    private List<float[][]> pairs(ContextInput context, int store, Set<PointKey> exclude) {
        List<float[][]> pairs = new ArrayList<>();
        for (ContextInputPair pair : context.getPairsList()) {
            pairs.add(new float[][] {vector(pair.getPositive(), store, exclude, true),
                    vector(pair.getNegative(), store, exclude, true)});
        }
        return pairs;
    }

    /**
     * A query vector for store {@code store}: given densely (checked, and normalised when {@code normalise}), or
     * the stored vector of a point, which is then left out of the results.
     */
    private float[] vector(VectorInput input, int store, Set<PointKey> exclude, boolean normalise) {
        DenseVectors vectors = points.schema().store(store);
        switch (input.getVariantCase()) {
            case DENSE: {
                float[] v = VectorSchema.floats(input.getDense());
                if (v.length != vectors.dim) {
                    throw QdrantErrors.wrongDimension(vectors.dim, v.length);
                }
                return normalise ? VectorSchema.checked(v, vectors) : v;
            }
            case ID: {
                PointKey id = PointKey.of(input.getId());
                PointEntry source = points.get(id);
                if (source == null || !source.hasVector(store)) {
                    throw QdrantErrors.pointNotFound(id);
                }
                exclude.add(id);
                return vectors.get(source.slots[store]); // stored vectors are already normalised
            }
            case SPARSE:
                throw QdrantErrors.badInput("Conversion between sparse and regular vectors failed");
            case MULTI_DENSE:
                throw QdrantErrors.unsupported("multivectors");
            case VARIANT_NOT_SET:
                throw QdrantErrors.invalidArgument("VectorInput is missing a variant");
            default:
                throw QdrantErrors.unsupported("inference (documents, images and objects)");
        }
    }

    /** The sparse store index of a name that must be a sparse vector name. */
    private int sparseStore(String name) {
        int store = points.schema().sparseIndex(name);
        if (store < 0) {
            points.schema().index(name); // an unknown name fails as such
            throw QdrantErrors.badInput("Conversion between sparse and regular vectors failed");
        }
        return store;
    }

    /** A sparse query vector: given, or the stored one of a point, which is then left out of the results. */
    private SparseVec sparseVector(VectorInput input, int store, Set<PointKey> exclude) {
        switch (input.getVariantCase()) {
            case SPARSE:
                return SparseVec.of(input.getSparse());
            case ID: {
                PointKey id = PointKey.of(input.getId());
                PointEntry source = points.get(id);
                if (source == null || source.sparse[store] == null) {
                    throw QdrantErrors.pointNotFound(id);
                }
                exclude.add(id);
                return source.sparse[store];
            }
            case DENSE:
            case MULTI_DENSE:
                throw QdrantErrors.badInput("Conversion between sparse and regular vectors failed");
            default:
                throw QdrantErrors.unsupported("inference (documents, images and objects)");
        }
    }

    /** Qdrant's {@code avg_vector_for_recommendation}: {@code avg(pos)}, or {@code 2 avg(pos) - avg(neg)}. */
    private static float[] average(List<float[]> positives, List<float[]> negatives) {
        float[] positive = mean(positives);
        if (negatives.isEmpty()) {
            return positive;
        }
        float[] negative = mean(negatives);
        float[] out = new float[positive.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = positive[i] + positive[i] - negative[i];
        }
        return out;
    }

    private static float[] mean(List<float[]> vectors) {
        float[] sum = new float[vectors.get(0).length];
        for (float[] v : vectors) {
            for (int i = 0; i < sum.length; i++) {
                sum[i] += v[i];
            }
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] /= vectors.size();
        }
        return sum;
    }

    private static List<ScoredHit> sample(Sample sample, Collection<PointEntry> candidates,
                                          Filters.Cond filter, long limit) {
        List<PointEntry> matching = new ArrayList<>();
        for (PointEntry e : candidates) {
            if (filter.test(e.payload, e)) {
                matching.add(e);
            }
        }
        Collections.shuffle(matching, ThreadLocalRandom.current());
        List<ScoredHit> out = new ArrayList<>();
        for (int i = 0; i < matching.size() && i < limit; i++) {
            out.add(new ScoredHit(matching.get(i), 0f));
        }
        return out;
    }

    private static void requirePrefetch(List<List<ScoredHit>> sources, String what) {
        if (sources.isEmpty()) {
            throw QdrantErrors.badRequest(what + " queries need prefetches");
        }
    }

    private static Collection<PointEntry> union(List<List<ScoredHit>> sources) {
        Map<PointKey, PointEntry> all = new LinkedHashMap<>();
        for (List<ScoredHit> source : sources) {
            for (ScoredHit hit : source) {
                all.putIfAbsent(hit.entry().id, hit.entry());
            }
        }
        return all.values();
    }

    private static List<PointEntry> byId(Collection<PointEntry> entries) {
        List<PointEntry> sorted = new ArrayList<>(entries);
        sorted.sort((a, b) -> a.id.compareTo(b.id));
        return sorted;
    }

    private static List<ScoredHit> head(List<ScoredHit> hits, long limit) {
        return hits.size() > limit ? hits.subList(0, (int) limit) : hits;
    }

    private static List<ScoredHit> threshold(List<ScoredHit> hits, Float threshold) {
        if (threshold == null) {
            return hits;
        }
        List<ScoredHit> out = new ArrayList<>();
        for (ScoredHit hit : hits) {
            if (hit.score() >= threshold) {
                out.add(hit);
            }
        }
        return out;
    }

    private static Filters.Cond and(Filters.Cond a, Filters.Cond b) {
        if (a == Filters.ALL) {
            return b;
        }
        if (b == Filters.ALL) {
            return a;
        }
        return (payload, point) -> a.test(payload, point) && b.test(payload, point);
    }
}
