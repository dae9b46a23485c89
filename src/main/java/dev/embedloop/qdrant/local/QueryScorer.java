package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.Distance;
import java.util.List;

/**
 * How a query scores one stored vector, and in which direction results are better.
 *
 * <p>Nearest scores with the user-facing distance (smaller is better for Euclid and Manhattan); the custom
 * queries combine Qdrant's internal similarities (see {@link VectorMath#similarity}) with the formulas of
 * Qdrant's {@code reco_query.rs}, {@code discover_query.rs} and {@code context_query.rs}, and are always
 * larger-is-better.
 */
abstract class QueryScorer {

    final boolean smallerIsBetter;

    QueryScorer(boolean smallerIsBetter) {
        this.smallerIsBetter = smallerIsBetter;
    }

    /** The score of the vector at {@code offset} in {@code data}. */
    abstract float score(float[] data, int offset);

    /** Whether {@code score} passes a score threshold in this scorer's direction. */
    boolean passes(float score, Float threshold) {
        return threshold == null || (smallerIsBetter ? score <= threshold : score >= threshold);
    }

    /** Plain nearest-neighbour scoring. */
    static QueryScorer nearest(Distance distance, float[] query) {
        return new QueryScorer(VectorMath.smallerIsBetter(distance)) {
            @Override
            float score(float[] data, int offset) {
                return VectorMath.score(distance, query, data, offset);
            }
        };
    }

    /** Recommend with the {@code best_score} strategy. */
    static QueryScorer bestScore(Distance distance, List<float[]> positives, List<float[]> negatives) {
        return new QueryScorer(false) {
            @Override
            float score(float[] data, int offset) {
                float maxPositive = Float.NEGATIVE_INFINITY;
                for (float[] p : positives) {
                    maxPositive = Math.max(maxPositive, VectorMath.similarity(distance, p, data, offset));
                }
                float maxNegative = Float.NEGATIVE_INFINITY;
                for (float[] n : negatives) {
                    maxNegative = Math.max(maxNegative, VectorMath.similarity(distance, n, data, offset));
                }
                return maxPositive > maxNegative ? scaledSigmoid(maxPositive) : -scaledSigmoid(maxNegative);
            }
        };
    }

    /** Recommend with the {@code sum_scores} strategy. */
    static QueryScorer sumScores(Distance distance, List<float[]> positives, List<float[]> negatives) {
        return new QueryScorer(false) {
            @Override
            float score(float[] data, int offset) {
                float sum = 0;
                for (float[] p : positives) {
                    sum += VectorMath.similarity(distance, p, data, offset);
                }
                float negative = 0;
                for (float[] n : negatives) {
                    negative += VectorMath.similarity(distance, n, data, offset);
                }
                return sum - negative;
            }
        };
    }

    /** Discovery: the number of context pairs the point is on the positive side of, plus target closeness. */
    static QueryScorer discover(Distance distance, float[] target, List<float[][]> pairs) {
        return new QueryScorer(false) {
            @Override
            float score(float[] data, int offset) {
                int rank = 0;
                for (float[][] pair : pairs) {
                    rank += Integer.signum(Float.compare(VectorMath.similarity(distance, pair[0], data, offset),
                            VectorMath.similarity(distance, pair[1], data, offset)));
                }
                return rank + scaledSigmoid(VectorMath.similarity(distance, target, data, offset));
            }
        };
    }

    /** Context search: a smooth loss that reaches 0 for points on the positive side of every pair. */
    static QueryScorer context(Distance distance, List<float[][]> pairs) {
        return new QueryScorer(false) {
            @Override
            float score(float[] data, int offset) {
                float sum = 0;
                for (float[][] pair : pairs) {
                    float difference = VectorMath.similarity(distance, pair[0], data, offset)
                            - VectorMath.similarity(distance, pair[1], data, offset) - Math.ulp(1.0f);
                    sum += fastSigmoid(Math.min(difference, 0f));
                }
                return sum;
            }
        };
    }

    static float fastSigmoid(float x) {
        return x / (1f + Math.abs(x));
    }

    static float scaledSigmoid(float x) {
        return 0.5f * (fastSigmoid(x) + 1f);
    }
}
