package dev.embedloop.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded synthetic embedding data for the trainer and gate tests. */
final class Synthetic {

    private Synthetic() {
    }

    /** A unit vector with Gaussian direction. */
    static float[] unit(Random rnd, int dim) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return normalize(v);
    }

    static float[] normalize(float[] v) {
        double n = 0;
        for (float f : v) {
            n += (double) f * f;
        }
        n = Math.sqrt(n);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / n);
        }
        return out;
    }

    /** A random orthonormal basis (rows), by Gram–Schmidt on Gaussian vectors. */
    static double[][] rotation(Random rnd, int dim) {
        double[][] q = new double[dim][dim];
        for (int r = 0; r < dim; r++) {
            double[] v = new double[dim];
            for (int i = 0; i < dim; i++) {
                v[i] = rnd.nextGaussian();
            }
            for (int p = 0; p < r; p++) {
                double d = 0;
                for (int i = 0; i < dim; i++) {
                    d += v[i] * q[p][i];
                }
                for (int i = 0; i < dim; i++) {
                    v[i] -= d * q[p][i];
                }
            }
            double n = 0;
            for (double x : v) {
                n += x * x;
            }
            n = Math.sqrt(n);
            for (int i = 0; i < dim; i++) {
                q[r][i] = v[i] / n;
            }
        }
        return q;
    }

    static float[] mul(double[][] m, float[] x) {
        float[] out = new float[x.length];
        for (int r = 0; r < m.length; r++) {
            double s = 0;
            for (int c = 0; c < x.length; c++) {
                s += m[r][c] * x[c];
            }
            out[r] = (float) s;
        }
        return out;
    }

    /** A triple plus the time it happened, as the gate's split needs. */
    record Timed(TrainingTriple triple, long timestamp) {
    }

    /**
     * Relevance lives in a hidden subspace: with R a random rotation and P the projection on its
     * first {@code topicDims} directions, a query for document p is
     * {@code normalize(P p + noise · (I − P) g)} with fresh Gaussian g. The base cosine is swamped
     * by the off-topic part; a W close to P recovers the relevance, in both modes.
     *
     * @param randomPositives when true the positive is an unrelated random document: noise feedback
     */
    static List<Timed> subspaceTask(long seed, int dim, int topicDims, int docs, int examples, int hardNegatives,
            double noise, boolean randomPositives) {
        Random rnd = new Random(seed);
        double[][] rot = rotation(rnd, dim);
        List<float[]> corpus = new ArrayList<>();
        for (int i = 0; i < docs; i++) {
            corpus.add(unit(rnd, dim));
        }
        List<Timed> out = new ArrayList<>();
        for (int e = 0; e < examples; e++) {
            int target = rnd.nextInt(docs);
            float[] rotated = mul(rot, corpus.get(target)); // coordinates in the hidden basis
            float[] qr = new float[dim];
            for (int i = 0; i < dim; i++) {
                qr[i] = i < topicDims ? rotated[i] : (float) (noise * rnd.nextGaussian() / Math.sqrt(dim - topicDims));
            }
            float[] query = normalize(mul(transpose(rot), qr));
            int pos = randomPositives ? rnd.nextInt(docs) : target;
            List<float[]> negs = new ArrayList<>();
            while (negs.size() < hardNegatives) {
                int n = rnd.nextInt(docs);
                if (n != pos && n != target) {
                    negs.add(corpus.get(n));
                }
            }
            double weight = 1.0 + rnd.nextInt(3);
            out.add(new Timed(new TrainingTriple(query, corpus.get(pos), negs, weight), 1_000L * e));
        }
        return out;
    }

    /**
     * Queries are a hidden rotation of their document plus noise: {@code q = normalize(A p + σ g)}.
     * Only a query-side map (A⁻¹ = Aᵀ) undoes it, so this is the query-only mode's task.
     */
    static List<Timed> rotationTask(long seed, int dim, int docs, int examples, int hardNegatives, double noise) {
        Random rnd = new Random(seed);
        double[][] a = rotation(rnd, dim);
        List<float[]> corpus = new ArrayList<>();
        for (int i = 0; i < docs; i++) {
            corpus.add(unit(rnd, dim));
        }
        List<Timed> out = new ArrayList<>();
        for (int e = 0; e < examples; e++) {
            int target = rnd.nextInt(docs);
            float[] q = mul(a, corpus.get(target));
            for (int i = 0; i < dim; i++) {
                q[i] += (float) (noise * rnd.nextGaussian() / Math.sqrt(dim));
            }
            List<float[]> negs = new ArrayList<>();
            while (negs.size() < hardNegatives) {
                int n = rnd.nextInt(docs);
                if (n != target) {
                    negs.add(corpus.get(n));
                }
            }
            out.add(new Timed(new TrainingTriple(normalize(q), corpus.get(target), negs, 1.0), 1_000L * e));
        }
        return out;
    }

    static double[][] transpose(double[][] m) {
        double[][] t = new double[m[0].length][m.length];
        for (int r = 0; r < m.length; r++) {
            for (int c = 0; c < m[0].length; c++) {
                t[c][r] = m[r][c];
            }
        }
        return t;
    }

    static List<TrainingTriple> triples(List<Timed> timed) {
        return timed.stream().map(Timed::triple).toList();
    }
}
