package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.Distance;

/**
 * Scoring of dense vectors stored flat in a {@code float[]}, the way Qdrant scores them.
 *
 * <p>Cosine vectors are normalised when stored and the query is normalised too, so a cosine score is a plain
 * dot product (Qdrant's {@code cosine_preprocess}, which leaves zero-length and already unit-length vectors
 * untouched). Euclid scores are the distance itself and Manhattan scores the L1 distance: for those two,
 * smaller is better and results come back in ascending order.
 *
 * <p>The loops use four independent accumulators: the JIT will not reorder a float reduction on its own, and
 * splitting it lets the CPU overlap the additions, which is what keeps a brute-force scan over tens of
 * thousands of 384-dimensional vectors in the low milliseconds.
 */
final class VectorMath {

    /** Rust's {@code f32::EPSILON}: a squared length below it counts as a zero vector. */
    private static final float EPSILON = 1.1920929e-7f;

    private VectorMath() {
    }

    /** Whether results for this distance are better when the score is smaller. */
    static boolean smallerIsBetter(Distance distance) {
        return distance == Distance.Euclid || distance == Distance.Manhattan;
    }

    /** Normalises {@code v} in place for cosine, as Qdrant does on upsert and for queries. */
    static void normalizeInPlace(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        // a zero vector stays zero, and an already unit-length one is left bit-for-bit as it was
        if (sum < EPSILON || Math.abs(sum - 1.0) <= 1e-6) {
            return;
        }
        float length = (float) Math.sqrt(sum);
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] / length;
        }
    }

    /** The user-facing score of stored vector at {@code offset} in {@code data} against {@code query}. */
    static float score(Distance distance, float[] query, float[] data, int offset) {
        return switch (distance) {
            case Euclid -> (float) Math.sqrt(squaredL2(query, data, offset));
            case Manhattan -> l1(query, data, offset);
            default -> dot(query, data, offset);
        };
    }

    /**
     * Qdrant's internal similarity, larger is better, as custom queries (recommend best-score and sum-scores,
     * discover, context) combine it: the dot product for Cosine and Dot, the negated squared distance for Euclid
     * and the negated L1 distance for Manhattan.
     */
    static float similarity(Distance distance, float[] query, float[] data, int offset) {
        return switch (distance) {
            case Euclid -> -squaredL2(query, data, offset);
            case Manhattan -> -l1(query, data, offset);
            default -> dot(query, data, offset);
        };
    }

    static float dot(float[] q, float[] d, int off) {
        int n = q.length;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += q[i] * d[off + i];
            s1 += q[i + 1] * d[off + i + 1];
            s2 += q[i + 2] * d[off + i + 2];
            s3 += q[i + 3] * d[off + i + 3];
        }
        for (; i < n; i++) {
            s0 += q[i] * d[off + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    static float squaredL2(float[] q, float[] d, int off) {
        int n = q.length;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            float a = q[i] - d[off + i];
            float b = q[i + 1] - d[off + i + 1];
            float c = q[i + 2] - d[off + i + 2];
            float e = q[i + 3] - d[off + i + 3];
            s0 += a * a;
            s1 += b * b;
            s2 += c * c;
            s3 += e * e;
        }
        for (; i < n; i++) {
            float a = q[i] - d[off + i];
            s0 += a * a;
        }
        return (s0 + s1) + (s2 + s3);
    }

    static float l1(float[] q, float[] d, int off) {
        int n = q.length;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += Math.abs(q[i] - d[off + i]);
            s1 += Math.abs(q[i + 1] - d[off + i + 1]);
            s2 += Math.abs(q[i + 2] - d[off + i + 2]);
            s3 += Math.abs(q[i + 3] - d[off + i + 3]);
        }
        for (; i < n; i++) {
            s0 += Math.abs(q[i] - d[off + i]);
        }
        return (s0 + s1) + (s2 + s3);
    }
}
