package dev.embedloop.train;

import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Trains a {@link LinearAdapter} W on top of a frozen encoder from {@link TrainingTriple}s.
 *
 * <p>In: triples of base embeddings (query, clicked document, skipped documents, weight) and
 * a starting adapter (usually the identity). Out: a new adapter plus the loss per epoch. The
 * input is not modified; given the same input, start and {@link Options#seed()}, the output is
 * bit-for-bit the same (parallel work is split by output element, never reduced across threads).
 *
 * <p><b>Objective</b>, per mini-batch of B triples, with {@code cos} the cosine after the adapter
 * ({@code W} on queries; on documents too when {@link AdapterMode#SYMMETRIC}):
 * <ul>
 *   <li>{@link Loss#MULTIPLE_NEGATIVES_RANKING} (InfoNCE): for query i, candidates are every
 *       positive in the batch and every hard negative in the batch; logits {@code cos(q_i, c)/τ};
 *       loss {@code w_i · CE(softmax, own positive)}.</li>
 *   <li>{@link Loss#TRIPLET}: {@code w_i · mean_n max(0, margin − cos(q_i, p_i) + cos(q_i, n))}
 *       over the example's hard negatives, or over the other positives of the batch when it has
 *       none (an example without skipped documents still teaches something).</li>
 * </ul>
 * The batch loss is {@code (1/B) Σ_i loss_i + λ‖W − I‖²_F}: the penalty pulls W towards the
 * identity so that sparse or noisy feedback cannot drag the model far from the base encoder.
 * A candidate whose vector equals the query's own positive (the same document clicked for
 * another query in the batch) is left out: it is not a negative; so is the positive of another
 * triple with the same query vector (the same query, clicked on another document), as the
 * feedback topology never makes a positive of a query one of its negatives.
 *
 * <p>Gradients are analytic; the path through the L2 normalisation is
 * {@code ∂L/∂u = (I − û ûᵀ) ∂L/∂û / ‖u‖} for {@code u = W x}, {@code û = u/‖u‖}, and
 * {@code ∂L/∂W += ∂L/∂u · xᵀ}. Optimiser: Adam.
 *
 * <p>Not thread-safe to share one call's state, but an instance holds only its options, so one
 * instance may serve several trainings in sequence or in parallel.
 */
public final class AdapterTrainer {

    /** The training objective. */
    public enum Loss {
        /** Softmax over in-batch positives and hard negatives (InfoNCE / MultipleNegativesRankingLoss). */
        MULTIPLE_NEGATIVES_RANKING,
        /** Hinge on the cosine gap between the positive and each negative. */
        TRIPLET
    }

    /**
     * Training options; validated on construction.
     *
     * @param loss objective
     * @param mode where W is applied (and what a promotion will cost: see {@link AdapterMode})
     * @param temperature softmax temperature τ for {@link Loss#MULTIPLE_NEGATIVES_RANKING}, in (0, 10]
     * @param margin cosine margin for {@link Loss#TRIPLET}, in [0, 2]
     * @param lambda weight of ‖W − I‖², at least 0
     * @param learningRate Adam step size, positive
     * @param epochs passes over the data; 0 returns the start adapter unchanged
     * @param batchSize triples per step (in-batch negatives grow with it), at least 1
     * @param seed seeds the shuffling; same seed, same result
     * @param parallel use the common fork-join pool for the matrix work
     */
    public record Options(Loss loss, AdapterMode mode, double temperature, double margin, double lambda,
            double learningRate, int epochs, int batchSize, long seed, boolean parallel) {

        public Options {
            Objects.requireNonNull(loss, "loss");
            Objects.requireNonNull(mode, "mode");
            if (!(temperature > 0 && temperature <= 10)) {
                throw new IllegalArgumentException("temperature must be in (0, 10], was " + temperature);
            }
            if (!(margin >= 0 && margin <= 2)) {
                throw new IllegalArgumentException("margin must be in [0, 2], was " + margin);
            }
            if (!(lambda >= 0) || Double.isInfinite(lambda)) {
                throw new IllegalArgumentException("lambda must be finite and at least 0, was " + lambda);
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learningRate must be finite and positive, was " + learningRate);
            }
            if (epochs < 0) {
                throw new IllegalArgumentException("epochs must be at least 0, was " + epochs);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
            }
        }

        /** InfoNCE, symmetric, τ = 0.05, margin 0.2, λ = 1e-3, lr = 1e-3, 3 epochs, batch 32, seed 42, parallel. */
        public static Options defaults() {
            return new Options(Loss.MULTIPLE_NEGATIVES_RANKING, AdapterMode.SYMMETRIC, 0.05, 0.2, 1e-3,
                    1e-3, 3, 32, 42L, true);
        }

        public Options withLoss(Loss v) {
            return new Options(v, mode, temperature, margin, lambda, learningRate, epochs, batchSize, seed, parallel);
        }

        public Options withMode(AdapterMode v) {
            return new Options(loss, v, temperature, margin, lambda, learningRate, epochs, batchSize, seed, parallel);
        }

        public Options withTemperature(double v) {
            return new Options(loss, mode, v, margin, lambda, learningRate, epochs, batchSize, seed, parallel);
        }

        public Options withMargin(double v) {
            return new Options(loss, mode, temperature, v, lambda, learningRate, epochs, batchSize, seed, parallel);
        }

        public Options withLambda(double v) {
            return new Options(loss, mode, temperature, margin, v, learningRate, epochs, batchSize, seed, parallel);
        }

        public Options withLearningRate(double v) {
            return new Options(loss, mode, temperature, margin, lambda, v, epochs, batchSize, seed, parallel);
        }

        public Options withEpochs(int v) {
            return new Options(loss, mode, temperature, margin, lambda, learningRate, v, batchSize, seed, parallel);
        }

        public Options withBatchSize(int v) {
            return new Options(loss, mode, temperature, margin, lambda, learningRate, epochs, v, seed, parallel);
        }

        public Options withSeed(long v) {
            return new Options(loss, mode, temperature, margin, lambda, learningRate, epochs, batchSize, v, parallel);
        }

        public Options withParallel(boolean v) {
            return new Options(loss, mode, temperature, margin, lambda, learningRate, epochs, batchSize, seed, v);
        }
    }

    /**
     * What a training produced.
     *
     * @param adapter the trained adapter, in {@link Options#mode()}, normalising
     * @param epochLosses mean batch loss (data term + penalty) per epoch, in order
     * @param steps optimiser steps taken
     */
    public record Result(LinearAdapter adapter, List<Double> epochLosses, int steps) {
        public Result {
            Objects.requireNonNull(adapter, "adapter");
            epochLosses = List.copyOf(epochLosses);
        }
    }

    private static final double ADAM_BETA1 = 0.9;
    private static final double ADAM_BETA2 = 0.999;
    private static final double ADAM_EPS = 1e-8;
    /** Below this many multiply-adds per parallel section, threads cost more than they save. */
    private static final long PARALLEL_THRESHOLD = 1L << 16;

    private final Options options;

    public AdapterTrainer(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    public Options options() {
        return options;
    }

    /** Trains from the identity on {@code dim} dimensions. */
    public Result train(int dim, List<TrainingTriple> triples) {
        return train(LinearAdapter.identity(dim), triples);
    }

    /**
     * Trains starting from {@code start} (a warm start from the live adapter, for instance). The
     * penalty still pulls towards the identity, not towards {@code start}: the anchor is the
     * base encoder, so successive retrainings cannot drift step by step.
     *
     * @throws IllegalArgumentException when a triple's dimension differs from the adapter's
     */
    public Result train(LinearAdapter start, List<TrainingTriple> triples) {
        return train(start, triples, null);
    }

    /** Sees the adapter after each epoch (for choosing the number of epochs on a validation slice). */
    @FunctionalInterface
    public interface EpochListener {
        /**
         * @param epoch the epoch just finished, from 1
         * @param adapter the adapter after it (a copy, in {@link Options#mode()})
         * @return whether to go on; false ends training after this epoch (early stopping)
         */
        boolean epochDone(int epoch, LinearAdapter adapter);
    }

    /** As {@link #train(LinearAdapter, List)}, calling {@code listener} (if not null) after each epoch. */
    public Result train(LinearAdapter start, List<TrainingTriple> triples, EpochListener listener) {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(triples, "triples");
        int dim = start.dim();
        for (TrainingTriple t : triples) {
            if (t.dim() != dim) {
                throw new IllegalArgumentException("triple has dimension " + t.dim() + ", adapter has " + dim);
            }
        }
        double[] w = start.weightsAsDoubles();
        List<Double> losses = new ArrayList<>();
        int steps = 0;
        if (!triples.isEmpty() && options.epochs() > 0) {
            double[] grad = new double[w.length];
            double[] m = new double[w.length];
            double[] v = new double[w.length];
            int n = triples.size();
            int[] order = IntStream.range(0, n).toArray();
            Random rnd = new Random(options.seed());
            for (int epoch = 0; epoch < options.epochs(); epoch++) {
                shuffle(order, rnd);
                double epochLoss = 0;
                for (int from = 0; from < n; from += options.batchSize()) {
                    int to = Math.min(n, from + options.batchSize());
                    List<TrainingTriple> batch = new ArrayList<>(to - from);
                    for (int k = from; k < to; k++) {
                        batch.add(triples.get(order[k]));
                    }
                    Arrays.fill(grad, 0.0);
                    double loss = lossAndGradient(w, dim, batch, grad);
                    epochLoss += loss * batch.size();
                    steps++;
                    adamStep(w, grad, m, v, steps);
                }
                losses.add(epochLoss / n);
                if (listener != null && !listener.epochDone(epoch + 1, LinearAdapter.ofDoubles(dim, w, options.mode(), true))) {
                    break;
                }
            }
        }
        return new Result(LinearAdapter.ofDoubles(dim, w, options.mode(), true), losses, steps);
    }

    static boolean sameQuery(TrainingTriple a, TrainingTriple b) {
        return a.query() == b.query() || Arrays.equals(a.query(), b.query());
    }

    private static void shuffle(int[] a, Random rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private void adamStep(double[] w, double[] g, double[] m, double[] v, int t) {
        double lr = options.learningRate();
        double c1 = 1 - Math.pow(ADAM_BETA1, t);
        double c2 = 1 - Math.pow(ADAM_BETA2, t);
        for (int i = 0; i < w.length; i++) {
            m[i] = ADAM_BETA1 * m[i] + (1 - ADAM_BETA1) * g[i];
            v[i] = ADAM_BETA2 * v[i] + (1 - ADAM_BETA2) * g[i] * g[i];
            w[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + ADAM_EPS);
        }
    }

    /**
     * The batch loss at W and its gradient, added into {@code grad} (callers zero it). Package
     * private so that the finite-difference test can check it directly.
     */
    double lossAndGradient(double[] w, int dim, List<TrainingTriple> batch, double[] grad) {
        int b = batch.size();
        boolean symmetric = options.mode() == AdapterMode.SYMMETRIC;

        // Candidates: the batch's positives first (index i is triple i's own positive), then all
        // hard negatives, remembering whose they are (the triplet loss uses its own only).
        List<float[]> cand = new ArrayList<>();
        List<Integer> ownerList = new ArrayList<>();
        for (TrainingTriple t : batch) {
            cand.add(t.positive());
            ownerList.add(-1);
        }
        for (int i = 0; i < b; i++) {
            for (float[] neg : batch.get(i).hardNegatives()) {
                cand.add(neg);
                ownerList.add(i);
            }
        }
        int c = cand.size();
        int[] owner = ownerList.stream().mapToInt(Integer::intValue).toArray();

        // Forward: u = W x and its unit vector, for queries and (symmetric) documents.
        double[][] qHat = new double[b][];
        double[] qNorm = new double[b];
        double[][] dHat = new double[c][];
        double[] dNorm = new double[c];
        long work = (long) (b + (symmetric ? c : 0)) * dim * dim;
        // Wᵀ lets the forward pass run as column updates (out += x_c · W[:, c]), which the JIT
        // vectorises, unlike a row-by-row dot product whose floating-point sum order is fixed.
        double[] wt = transpose(w, dim);
        forEach(b + c, work, k -> {
            if (k < b) {
                double[] u = matVec(wt, dim, batch.get(k).query());
                qNorm[k] = normalizeInPlace(u);
                qHat[k] = u;
            } else {
                int j = k - b;
                double[] u = symmetric ? matVec(wt, dim, cand.get(j)) : toDouble(cand.get(j));
                dNorm[j] = normalizeInPlace(u);
                dHat[j] = u;
            }
        });

        // Scores and dL/dscore.
        double[][] g = new double[b][c];
        double loss = 0;
        int[] candHash = new int[c];
        for (int j = 0; j < c; j++) {
            candHash[j] = Arrays.hashCode(cand.get(j));
        }
        for (int i = 0; i < b; i++) {
            double wi = batch.get(i).weight() / b;
            boolean[] skip = new boolean[c];
            for (int j = 0; j < c; j++) {
                // The same document clicked for another query in the batch is not a negative, nor
                // is another positive of the same query (a document the same query's users chose).
                skip[j] = j != i && ((candHash[j] == candHash[i] && Arrays.equals(cand.get(j), cand.get(i)))
                        || (j < b && sameQuery(batch.get(j), batch.get(i))));
            }
            double[] s = new double[c];
            for (int j = 0; j < c; j++) {
                if (!skip[j]) {
                    s[j] = dot(qHat[i], dHat[j]);
                }
            }
            if (options.loss() == Loss.MULTIPLE_NEGATIVES_RANKING) {
                double tau = options.temperature();
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c; j++) {
                    if (!skip[j]) {
                        max = Math.max(max, s[j] / tau);
                    }
                }
                double sum = 0;
                double[] p = new double[c];
                for (int j = 0; j < c; j++) {
                    if (!skip[j]) {
                        p[j] = Math.exp(s[j] / tau - max);
                        sum += p[j];
                    }
                }
                loss += wi * (max + Math.log(sum) - s[i] / tau);
                for (int j = 0; j < c; j++) {
                    if (!skip[j]) {
                        g[i][j] = wi * (p[j] / sum - (j == i ? 1.0 : 0.0)) / tau;
                    }
                }
            } else {
                List<Integer> negs = new ArrayList<>();
                for (int j = b; j < c; j++) {
                    if (owner[j] == i && !skip[j]) {
                        negs.add(j);
                    }
                }
                if (negs.isEmpty()) {
                    for (int j = 0; j < b; j++) {
                        if (j != i && !skip[j]) {
                            negs.add(j);
                        }
                    }
                }
                double per = negs.isEmpty() ? 0 : wi / negs.size();
                for (int j : negs) {
                    double h = options.margin() - s[i] + s[j];
                    if (h > 0) {
                        loss += per * h;
                        g[i][i] -= per;
                        g[i][j] += per;
                    }
                }
            }
        }

        // Backward into the unit vectors, then through the normalisation to u = W x.
        double[][] du = new double[b + (symmetric ? c : 0)][];
        double[][] inputs = new double[du.length][];
        for (int i = 0; i < b; i++) {
            double[] dh = new double[dim];
            for (int j = 0; j < c; j++) {
                if (g[i][j] != 0) {
                    axpy(g[i][j], dHat[j], dh);
                }
            }
            du[i] = throughNormalization(qHat[i], qNorm[i], dh);
            inputs[i] = toDouble(batch.get(i).query());
        }
        if (symmetric) {
            for (int j = 0; j < c; j++) {
                double[] dh = new double[dim];
                for (int i = 0; i < b; i++) {
                    if (g[i][j] != 0) {
                        axpy(g[i][j], qHat[i], dh);
                    }
                }
                du[b + j] = throughNormalization(dHat[j], dNorm[j], dh);
                inputs[b + j] = toDouble(cand.get(j));
            }
        }

        // dL/dW = Σ_k du_k x_kᵀ, accumulated row by row so that threads never share a cell.
        forEach(dim, (long) du.length * dim * dim, r -> {
            int base = r * dim;
            for (int k = 0; k < du.length; k++) {
                double a = du[k][r];
                if (a != 0) {
                    double[] x = inputs[k];
                    for (int col = 0; col < dim; col++) {
                        grad[base + col] += a * x[col];
                    }
                }
            }
        });

        // λ‖W − I‖²
        double lambda = options.lambda();
        if (lambda > 0) {
            double reg = 0;
            for (int r = 0; r < dim; r++) {
                for (int col = 0; col < dim; col++) {
                    int idx = r * dim + col;
                    double diff = w[idx] - (r == col ? 1.0 : 0.0);
                    reg += diff * diff;
                    grad[idx] += 2 * lambda * diff;
                }
            }
            loss += lambda * reg;
        }
        return loss;
    }

    private void forEach(int n, long work, IntConsumer body) {
        if (options.parallel() && work >= PARALLEL_THRESHOLD && n > 1) {
            IntStream.range(0, n).parallel().forEach(body);
        } else {
            for (int k = 0; k < n; k++) {
                body.accept(k);
            }
        }
    }

    /** {@code W x} given {@code Wᵀ} (row-major), as a sum of W's columns weighted by x. */
    private static double[] matVec(double[] wt, int dim, float[] x) {
        double[] out = new double[dim];
        for (int col = 0; col < dim; col++) {
            double xc = x[col];
            if (xc != 0) {
                int base = col * dim;
                for (int r = 0; r < dim; r++) {
                    out[r] += xc * wt[base + r];
                }
            }
        }
        return out;
    }

    private static double[] transpose(double[] w, int dim) {
        double[] t = new double[w.length];
        for (int r = 0; r < dim; r++) {
            for (int col = 0; col < dim; col++) {
                t[col * dim + r] = w[r * dim + col];
            }
        }
        return t;
    }

    private static double[] toDouble(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i];
        }
        return out;
    }

    /** Scales to unit length and returns the original norm (floored so a zero vector cannot divide by zero). */
    private static double normalizeInPlace(double[] u) {
        double n = Math.max(Math.sqrt(dot(u, u)), 1e-12);
        for (int i = 0; i < u.length; i++) {
            u[i] /= n;
        }
        return n;
    }

    /** ∂L/∂u = (∂L/∂û − û (û·∂L/∂û)) / ‖u‖. */
    private static double[] throughNormalization(double[] hat, double norm, double[] dHat) {
        double proj = dot(hat, dHat);
        double[] out = new double[hat.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (dHat[i] - hat[i] * proj) / norm;
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < y.length; i++) {
            y[i] += a * x[i];
        }
    }
}
