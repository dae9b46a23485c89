package dev.embedloop.eval;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Ranking metrics as trec_eval computes them (and so pytrec_eval, which BEIR uses): pure functions
 * of a ranking and the graded judgements of its query.
 *
 * <ul>
 *   <li>{@link #ndcg nDCG@k} ({@code ndcg_cut.k}): DCG = Σ gain(grade of the document at rank r) /
 *       log2(r + 1) over the top k; the ideal DCG sorts <em>all</em> judged relevant documents of
 *       the query (also those not retrieved, also those missing from the corpus) by grade.
 *       trec_eval's gain is the grade itself ({@link Gain#LINEAR}); {@link Gain#EXPONENTIAL}
 *       (2^grade − 1) is offered because some published references use it.
 *   <li>{@link #recall recall@k} ({@code recall.k}): relevant documents in the top k / all
 *       relevant documents of the query.
 *   <li>{@link #reciprocalRank MRR@k} (BEIR's {@code mrr}): 1 / rank of the first relevant
 *       document in the top k, 0 when there is none.
 * </ul>
 *
 * A document is relevant when its grade is &gt; 0; grades ≤ 0 and unjudged documents count as not
 * relevant. A query without any relevant judgement scores 0 everywhere (as in trec_eval) and still
 * counts in the averages.
 */
public final class Metrics {

    private Metrics() {}

    /** How a grade becomes a gain; grades ≤ 0 gain nothing either way. */
    public enum Gain {
        /** The grade itself: trec_eval's and pytrec_eval's {@code ndcg_cut}. */
        LINEAR,
        /** 2^grade − 1. */
        EXPONENTIAL;

        public double of(int grade) {
            if (grade <= 0) {
                return 0;
            }
            return this == LINEAR ? grade : Math.pow(2, grade) - 1;
        }
    }

    /** A retrieved document with its score. */
    public record Scored(String docId, double score) {
        public Scored {
            Objects.requireNonNull(docId, "docId");
        }
    }

    /**
     * Orders results the way trec_eval does before it scores them: by score, best first, and ties
     * by document id in <em>descending</em> lexicographic order. The engine's own order of equal
     * scores therefore never changes a metric.
     *
     * @throws IllegalArgumentException when a document appears twice
     */
    public static List<String> rank(Collection<Scored> results) {
        List<Scored> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.comparingDouble(Scored::score).reversed()
                .thenComparing(Scored::docId, Comparator.reverseOrder()));
        List<String> ids = new ArrayList<>(sorted.size());
        Set<String> seen = new HashSet<>();
        for (Scored s : sorted) {
            if (!seen.add(s.docId())) {
                throw new IllegalArgumentException("document '" + s.docId() + "' is ranked twice");
            }
            ids.add(s.docId());
        }
        return ids;
    }

    /** nDCG at cutoff {@code k}; see the class comment. */
    public static double ndcg(int k, List<String> ranking, Map<String, Integer> judgements, Gain gain) {
        requireCutoff(k);
        double dcg = 0;
        for (int i = 0; i < Math.min(k, ranking.size()); i++) {
            dcg += gain.of(judgements.getOrDefault(ranking.get(i), 0)) / log2(i + 2);
        }
        int[] ideal = judgements.values().stream().mapToInt(Integer::intValue).filter(g -> g > 0)
                .boxed().sorted(Comparator.reverseOrder()).mapToInt(Integer::intValue).toArray();
        double idcg = 0;
        for (int i = 0; i < Math.min(k, ideal.length); i++) {
            idcg += gain.of(ideal[i]) / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /** Recall at cutoff {@code k}; 0 for a query without relevant documents. */
    public static double recall(int k, List<String> ranking, Map<String, Integer> judgements) {
        requireCutoff(k);
        long relevant = judgements.values().stream().filter(g -> g > 0).count();
        if (relevant == 0) {
            return 0;
        }
        long found = ranking.stream().limit(k).filter(d -> judgements.getOrDefault(d, 0) > 0).count();
        return (double) found / relevant;
    }

    /** Reciprocal rank of the first relevant document within the top {@code k}, else 0. */
    public static double reciprocalRank(int k, List<String> ranking, Map<String, Integer> judgements) {
        requireCutoff(k);
        for (int i = 0; i < Math.min(k, ranking.size()); i++) {
            if (judgements.getOrDefault(ranking.get(i), 0) > 0) {
                return 1.0 / (i + 1);
            }
        }
        return 0;
    }

    /**
     * The metrics of one query.
     *
     * @param ndcg nDCG@cutoff, linear gains
     * @param ndcgExp nDCG@cutoff, exponential gains
     * @param recall recall@recallDepth
     * @param reciprocalRank reciprocal rank within the cutoff
     */
    public record QueryScores(String queryId, double ndcg, double ndcgExp, double recall, double reciprocalRank) {}

    /**
     * Averages over the evaluated queries.
     *
     * @param cutoff k of nDCG@k and MRR@k
     * @param recallDepth k of recall@k
     * @param queries how many queries were averaged
     */
    public record Summary(int cutoff, int recallDepth, int queries, double ndcg, double ndcgExp, double recall,
            double mrr) {}

    /** All metrics of one ranked query. */
    public static QueryScores score(String queryId, int cutoff, int recallDepth, List<String> ranking,
            Map<String, Integer> judgements) {
        return new QueryScores(queryId,
                ndcg(cutoff, ranking, judgements, Gain.LINEAR),
                ndcg(cutoff, ranking, judgements, Gain.EXPONENTIAL),
                recall(recallDepth, ranking, judgements),
                reciprocalRank(cutoff, ranking, judgements));
    }

    /** The mean of every metric; all zero when there are no queries. */
    public static Summary average(int cutoff, int recallDepth, Collection<QueryScores> scores) {
        int n = scores.size();
        if (n == 0) {
            return new Summary(cutoff, recallDepth, 0, 0, 0, 0, 0);
        }
        double ndcg = 0;
        double ndcgExp = 0;
        double recall = 0;
        double rr = 0;
        for (QueryScores s : scores) {
            ndcg += s.ndcg();
            ndcgExp += s.ndcgExp();
            recall += s.recall();
            rr += s.reciprocalRank();
        }
        return new Summary(cutoff, recallDepth, n, ndcg / n, ndcgExp / n, recall / n, rr / n);
    }

    private static void requireCutoff(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("cutoff must be at least 1, was " + k);
        }
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
