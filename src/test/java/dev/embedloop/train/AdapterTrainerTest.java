package dev.embedloop.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.train.AdapterTrainer.Loss;
import dev.embedloop.train.AdapterTrainer.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdapterTrainerTest {

    private static final int DIM = 6;

    /** A small batch with hard negatives, an example without any, and a positive shared by two queries. */
    private static List<TrainingTriple> tinyBatch(long seed) {
        Random rnd = new Random(seed);
        List<TrainingTriple> batch = new ArrayList<>();
        float[] shared = Synthetic.unit(rnd, DIM);
        for (int i = 0; i < 5; i++) {
            float[] pos = i < 2 ? shared : Synthetic.unit(rnd, DIM);
            List<float[]> negs = new ArrayList<>();
            for (int k = 0; k < (i == 4 ? 0 : 2); k++) {
                negs.add(Synthetic.unit(rnd, DIM));
            }
            batch.add(new TrainingTriple(Synthetic.unit(rnd, DIM), pos, negs, 1.0 + i * 0.5));
        }
        return batch;
    }

    private static double[] perturbedIdentity(long seed) {
        Random rnd = new Random(seed);
        double[] w = new double[DIM * DIM];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % (DIM + 1) == 0 ? 1.0 : 0.0) + 0.3 * rnd.nextGaussian();
        }
        return w;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "MULTIPLE_NEGATIVES_RANKING, SYMMETRIC",
            "MULTIPLE_NEGATIVES_RANKING, QUERY_ONLY",
            "TRIPLET, SYMMETRIC",
            "TRIPLET, QUERY_ONLY"})
    void shouldMatchFiniteDifferenceGradient(Loss loss, AdapterMode mode) {
        // τ = 0.5 keeps the softmax smooth enough for central differences; a wide margin keeps
        // most hinges active so the triplet check exercises the gradient rather than zeros.
        AdapterTrainer trainer = new AdapterTrainer(Options.defaults().withLoss(loss).withMode(mode)
                .withTemperature(0.5).withMargin(1.5).withLambda(0.1).withParallel(false));
        List<TrainingTriple> batch = tinyBatch(7);
        double[] w = perturbedIdentity(11);
        double[] analytic = new double[w.length];
        trainer.lossAndGradient(w, DIM, batch, analytic);

        double h = 1e-6;
        double[] scratch = new double[w.length];
        double maxError = 0;
        for (int i = 0; i < w.length; i++) {
            double saved = w[i];
            w[i] = saved + h;
            double up = trainer.lossAndGradient(w, DIM, batch, scratch);
            w[i] = saved - h;
            double down = trainer.lossAndGradient(w, DIM, batch, scratch);
            w[i] = saved;
            double numeric = (up - down) / (2 * h);
            double error = Math.abs(numeric - analytic[i]) / Math.max(1.0, Math.abs(numeric));
            maxError = Math.max(maxError, error);
        }
        assertThat(maxError).as("max relative gradient error").isLessThan(1e-6);
        assertThat(java.util.Arrays.stream(analytic).map(Math::abs).max().orElse(0))
                .as("gradient is not trivially zero").isGreaterThan(1e-3);
    }

    @Test
    void shouldReturnIdentityAfterZeroEpochs() {
        List<TrainingTriple> data = Synthetic.triples(Synthetic.subspaceTask(1, 16, 4, 50, 40, 2, 1.5, false));
        AdapterTrainer.Result result = new AdapterTrainer(Options.defaults().withEpochs(0)).train(16, data);
        assertThat(result.adapter().isIdentity()).isTrue();
        assertThat(result.steps()).isZero();
        assertThat(result.epochLosses()).isEmpty();
    }

    @Test
    void shouldReturnStartAdapterForNoTriples() {
        AdapterTrainer.Result result = new AdapterTrainer(Options.defaults()).train(8, List.of());
        assertThat(result.adapter()).isEqualTo(LinearAdapter.identity(8));
    }

    @Test
    void shouldStayNearIdentityWhenLambdaIsLarge() {
        List<TrainingTriple> data = Synthetic.triples(Synthetic.subspaceTask(2, 32, 8, 200, 400, 3, 1.5, false));
        Options base = Options.defaults().withEpochs(3).withLearningRate(1e-2);
        double free = new AdapterTrainer(base.withLambda(0)).train(32, data).adapter().distanceFromIdentity();
        double pinned = new AdapterTrainer(base.withLambda(100)).train(32, data).adapter().distanceFromIdentity();
        assertThat(free).isGreaterThan(1.0);
        assertThat(pinned).isLessThan(0.1).isLessThan(free / 10);
    }

    @Test
    void shouldBeDeterministicGivenSeed() {
        List<TrainingTriple> data = Synthetic.triples(Synthetic.subspaceTask(3, 64, 16, 300, 600, 3, 1.5, false));
        Options options = Options.defaults().withEpochs(2).withSeed(99);
        // Parallel and sequential runs must agree too: threads only ever own whole output cells.
        AdapterTrainer.Result a = new AdapterTrainer(options).train(64, data);
        AdapterTrainer.Result b = new AdapterTrainer(options).train(64, data);
        AdapterTrainer.Result sequential = new AdapterTrainer(options.withParallel(false)).train(64, data);
        AdapterTrainer.Result otherSeed = new AdapterTrainer(options.withSeed(100)).train(64, data);
        assertThat(a.adapter()).isEqualTo(b.adapter()).isEqualTo(sequential.adapter());
        assertThat(a.epochLosses()).isEqualTo(b.epochLosses());
        assertThat(otherSeed.adapter()).isNotEqualTo(a.adapter());
    }

    /** A listener that says stop ends training after that epoch; the adapter is the one it saw. */
    @Test
    void shouldStopWhenTheEpochListenerSaysSo() {
        List<TrainingTriple> data = Synthetic.triples(Synthetic.subspaceTask(4, 16, 4, 100, 200, 3, 1.5, false));
        List<LinearAdapter> seen = new java.util.ArrayList<>();
        AdapterTrainer.Result r = new AdapterTrainer(Options.defaults().withEpochs(10))
                .train(LinearAdapter.identity(16), data, (epoch, a) -> {
                    seen.add(a);
                    return epoch < 3;
                });
        assertThat(r.epochLosses()).hasSize(3);
        assertThat(seen).hasSize(3);
        assertThat(r.adapter()).isEqualTo(seen.get(2));
        assertThat(r.adapter()).isEqualTo(new AdapterTrainer(Options.defaults().withEpochs(3)).train(16, data).adapter());
    }

    @Test
    void shouldReduceTrainingLossOverEpochs() {
        List<TrainingTriple> data = Synthetic.triples(Synthetic.subspaceTask(4, 32, 8, 200, 400, 3, 1.5, false));
        for (Loss loss : Loss.values()) {
            List<Double> losses = new AdapterTrainer(Options.defaults().withLoss(loss).withEpochs(4))
                    .train(32, data).epochLosses();
            assertThat(losses).as(loss.name()).hasSize(4);
            assertThat(losses.get(3)).as(loss.name()).isLessThan(losses.get(0) * 0.8);
        }
    }

    @Test
    void shouldProduceAdapterInRequestedMode() {
        List<TrainingTriple> data = Synthetic.triples(Synthetic.subspaceTask(5, 8, 2, 20, 10, 1, 1.5, false));
        LinearAdapter adapter = new AdapterTrainer(Options.defaults().withMode(AdapterMode.QUERY_ONLY).withEpochs(1))
                .train(8, data).adapter();
        assertThat(adapter.mode()).isEqualTo(AdapterMode.QUERY_ONLY);
        assertThat(adapter.normalizes()).isTrue();
    }

    @Test
    void shouldRejectTriplesOfAnotherDimension() {
        List<TrainingTriple> data = Synthetic.triples(Synthetic.subspaceTask(5, 8, 2, 20, 10, 1, 1.5, false));
        assertThatThrownBy(() -> new AdapterTrainer(Options.defaults()).train(16, data))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimension");
    }

    @Test
    void shouldValidateOptions() {
        Options d = Options.defaults();
        assertThatThrownBy(() -> d.withTemperature(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withLambda(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withLearningRate(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withEpochs(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withBatchSize(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withMargin(3)).isInstanceOf(IllegalArgumentException.class);
        assertThat(d.temperature()).isEqualTo(0.05);
        assertThat(d.mode()).isEqualTo(AdapterMode.SYMMETRIC);
    }

    @Test
    void shouldRejectInvalidTriples() {
        float[] v = {1, 0};
        assertThatThrownBy(() -> new TrainingTriple(v, new float[] {1, 0, 0}, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TrainingTriple(v, v, List.of(), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TrainingTriple(v, v, List.of(new float[] {1}), 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldTrainAtProductionDimensionInSeconds() {
        // d = 384 as the MiniLM encoder: one epoch over 600 triples, to keep an eye on speed.
        List<Synthetic.Timed> data = Synthetic.subspaceTask(6, 384, 96, 500, 750, 3, 1.5, false);
        Gate gate = new Gate(Gate.Options.defaults().withHoldoutFraction(0.2));
        Gate.Split<Synthetic.Timed> split = gate.split(data, Synthetic.Timed::timestamp);
        long start = System.nanoTime();
        LinearAdapter adapter = new AdapterTrainer(Options.defaults().withEpochs(1))
                .train(384, Synthetic.triples(split.train())).adapter();
        double seconds = (System.nanoTime() - start) / 1e9;
        Gate.Decision decision = gate.decide(LinearAdapter.identity(384), adapter, Synthetic.triples(split.holdout()));
        System.out.printf("d=384, %d triples, 1 epoch: %.2fs; %s%n", split.train().size(), seconds, decision.reason());
        assertThat(decision.promote()).isTrue();
    }
}
