package dev.embedloop.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TuningTest {

    private static final Tuning.Options SEARCH = new Tuning.Options(0.2, 1, List.of(0.05, 0.1), List.of(0.01, 0.1, 1.0),
            List.of(0.001, 0.01, 0.05), 30, true);

    @Test
    void shouldScoreAtEpochsSpacedByHalfAgainAndAtTheLast() {
        List<Integer> scored = IntStream.rangeClosed(1, 30).filter(e -> Tuning.scored(e, 30)).boxed().toList();
        assertThat(scored).containsExactly(1, 2, 3, 5, 8, 12, 18, 27, 30);
        assertThat(IntStream.rangeClosed(1, 4).filter(e -> Tuning.scored(e, 4)).boxed().toList())
                .containsExactly(1, 2, 3, 4);
    }

    @Test
    void shouldCountTheGridThenTheOtherTemperaturesThenTheWarmStart() {
        assertThat(SEARCH.configurations()).isEqualTo(3 * 3 + 1 + 1);
    }

    /**
     * Relevance in a hidden subspace carries over to queries the search never trained on: the
     * chosen settings beat the untrained adapter on the validation queries by a wide margin, every
     * configuration of the grid was tried, and the chosen epoch count is one that was scored.
     */
    @Test
    void shouldChooseSettingsThatCarryOverToUnseenQueries() {
        Task task = Task.of(Synthetic.subspaceTask(11, 32, 6, 200, 700, 3, 3.0, false), 550);
        Tuning.Choice c = new Tuning(SEARCH).choose(AdapterTrainer.Options.defaults(), task.fit, task.validation,
                task.corpus, LinearAdapter.identity(32), task.corpus, null, task.validation.size());

        assertThat(c.searched()).isTrue();
        assertThat(c.tried()).isEqualTo(SEARCH.configurations() - 1); // no live adapter: no warm start
        assertThat(c.untrainedValidationNdcg()).isCloseTo(c.liveValidationNdcg(), within(1e-9));
        assertThat(c.gainOverUntrained()).as(c.toString()).isGreaterThan(0.15);
        assertThat(Tuning.scored(c.options().epochs(), SEARCH.maxEpochs())).isTrue();
        assertThat(c.warmStart()).isFalse();
    }

    /**
     * A window larger than train.search.max-examples is searched on a fixed-seed sample, and the
     * chosen epochs become as many optimiser steps on the whole window.
     */
    @Test
    void shouldSearchALargeWindowOnASampleAndMatchItsSteps() {
        Task task = Task.of(Synthetic.subspaceTask(11, 32, 6, 200, 700, 3, 3.0, false), 550);
        Tuning.Options capped = new Tuning.Options(0.2, 1, List.of(0.05), List.of(0.1), List.of(0.01), 30, false, 128);
        Tuning.Choice c = new Tuning(capped).choose(AdapterTrainer.Options.defaults(), task.fit, task.validation,
                task.corpus, LinearAdapter.identity(32), task.corpus, null, task.validation.size());
        assertThat(c.fitExamples()).isEqualTo(128);
        assertThat(c.gainOverUntrained()).as(c.toString()).isGreaterThan(0);
        // the sample's 4 batches an epoch against the window's 18
        assertThat(c.options().epochs()).isBetween(1, 30);

        List<TrainingTriple> sample = Tuning.sample(task.fit, 128, 42);
        assertThat(sample).hasSize(128).isEqualTo(Tuning.sample(task.fit, 128, 42)).isSubsetOf(task.fit);
        assertThat(sample).doesNotHaveDuplicates();
        assertThat(Tuning.sample(task.fit, 10_000, 42)).isSameAs(task.fit);
        assertThat(Tuning.stepMatchedEpochs(9, 128, 550, 32)).isEqualTo(2); // 36 steps ≈ 2 epochs of 18
        assertThat(Tuning.stepMatchedEpochs(1, 128, 550, 32)).isEqualTo(1); // never below one
        assertThat(Tuning.stepMatchedEpochs(30, 2000, 8000, 32)).isEqualTo(8); // 1890 steps of 250 an epoch
    }

    /** A warm start is tried when a live adapter is given, and chosen only when it scores better. */
    @Test
    void shouldTryAWarmStartFromTheLiveAdapter() {
        Task task = Task.of(Synthetic.subspaceTask(12, 32, 6, 200, 700, 3, 3.0, false), 550);
        LinearAdapter live = new AdapterTrainer(AdapterTrainer.Options.defaults().withLearningRate(0.01).withEpochs(5))
                .train(32, task.fit).adapter();
        Tuning.Choice c = new Tuning(SEARCH).choose(AdapterTrainer.Options.defaults(), task.fit, task.validation,
                task.corpus, live.withMode(AdapterMode.QUERY_ONLY), task.corpus, live, task.validation.size());
        assertThat(c.tried()).isEqualTo(SEARCH.configurations());
    }

    /**
     * With train.search.average-top 3 the choice keeps the three best configurations, best first;
     * the best one's settings are reported as the choice's; the validation figure is that of the
     * members' average, which, on relevance that carries over, still beats the untrained adapter.
     */
    @Test
    void shouldKeepTheBestConfigurationsToAverage() {
        Task task = Task.of(Synthetic.subspaceTask(11, 32, 6, 200, 700, 3, 3.0, false), 550);
        Tuning.Options soup = new Tuning.Options(0.2, 1, List.of(0.05, 0.1), List.of(0.01, 0.1, 1.0),
                List.of(0.001, 0.01, 0.05), 30, true, Integer.MAX_VALUE, 1, 3);
        Tuning.Choice c = new Tuning(soup).choose(AdapterTrainer.Options.defaults(), task.fit, task.validation,
                task.corpus, LinearAdapter.identity(32), task.corpus, null, task.validation.size());
        Tuning.Choice single = new Tuning(SEARCH).choose(AdapterTrainer.Options.defaults(), task.fit, task.validation,
                task.corpus, LinearAdapter.identity(32), task.corpus, null, task.validation.size());

        assertThat(single.members()).hasSize(1);
        assertThat(c.members()).hasSize(3);
        assertThat(c.members().get(0).options()).isEqualTo(single.options()).isEqualTo(c.options());
        assertThat(c.members().get(0).validationNdcg()).isCloseTo(single.validationNdcg(), within(1e-12));
        assertThat(c.members()).extracting(Tuning.Member::validationNdcg)
                .isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(c.members()).doesNotHaveDuplicates();
        assertThat(c.gainOverUntrained()).as(c.toString()).isGreaterThan(0.1);
        assertThat(c.toString()).contains("averaged with 2 more");
        assertThat(c.toMap()).containsKey("averaged");
        assertThat(single.toMap()).doesNotContainKey("averaged");
    }

    /**
     * A choice trains every member from its own start and averages them: the candidate equals the
     * mean of the members trained one by one (a warm member from the live adapter, a cold one from
     * the identity), and a single member is exactly its own training.
     */
    @Test
    void shouldTrainEveryMemberAndAverageThem() {
        Task task = Task.of(Synthetic.subspaceTask(13, 16, 4, 100, 300, 3, 3.0, false), 250);
        AdapterTrainer.Options a = AdapterTrainer.Options.defaults().withLearningRate(0.01).withEpochs(2);
        AdapterTrainer.Options b = AdapterTrainer.Options.defaults().withLambda(1.0).withEpochs(3);
        LinearAdapter live = new AdapterTrainer(a.withEpochs(1)).train(16, task.fit.subList(0, 100)).adapter();
        Tuning.Choice two = new Tuning.Choice(a, false, 0.5, 0.4, task.fit.size(), 10, 10, 2, 1, true, 0.4,
                List.of(new Tuning.Member(a, false, 0.5), new Tuning.Member(b, true, 0.45)));

        LinearAdapter soup = two.train(16, live, task.fit).adapter();

        LinearAdapter first = new AdapterTrainer(a).train(LinearAdapter.identity(16), task.fit).adapter();
        LinearAdapter second = new AdapterTrainer(b).train(live, task.fit).adapter();
        for (int r = 0; r < 16; r++) {
            for (int col = 0; col < 16; col++) {
                assertThat((double) soup.get(r, col)).isCloseTo((first.get(r, col) + second.get(r, col)) / 2.0,
                        within(1e-6));
            }
        }
        assertThat(soup.maxAbsDifference(first)).isGreaterThan(1e-4);
        // without a live adapter the warm member starts from the identity as well
        LinearAdapter cold = new AdapterTrainer(b).train(LinearAdapter.identity(16), task.fit).adapter();
        assertThat(two.train(16, null, task.fit).adapter().maxAbsDifference(Tuning.average(List.of(first, cold))))
                .isLessThan(1e-6);
        Tuning.Choice one = new Tuning.Choice(a, false, 0.5, 0.4, task.fit.size(), 10, 10, 1, 1, true);
        assertThat(one.members()).containsExactly(new Tuning.Member(a, false, 0.5));
        assertThat(one.train(16, live, task.fit).adapter()).isEqualTo(first);
    }

    /** Averaging adapters is the mean of their weights, and only adapters of one kind average. */
    @Test
    void shouldAverageWeightsOfLikeAdapters() {
        float[] w = new float[4];
        w[0] = 3;
        w[3] = 1;
        LinearAdapter x = LinearAdapter.of(2, w, AdapterMode.QUERY_ONLY, true);
        LinearAdapter id = LinearAdapter.identity(2).withMode(AdapterMode.QUERY_ONLY);
        LinearAdapter mean = Tuning.average(List.of(x, id));
        assertThat(mean.weights()).containsExactly(2f, 0f, 0f, 1f);
        assertThat(mean.mode()).isEqualTo(AdapterMode.QUERY_ONLY);
        assertThat(Tuning.average(List.of(x))).isSameAs(x);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Tuning.average(List.of(x, LinearAdapter.identity(2))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot average");
    }

    /** The vectorised validation score agrees with a plain one, with and without a document transform. */
    @Test
    void shouldScoreValidationLikeAPlainRanking() {
        Random rnd = new Random(5);
        int dim = 16;
        Map<String, float[]> corpus = new LinkedHashMap<>();
        for (int i = 0; i < 120; i++) {
            corpus.put("d" + i, Synthetic.unit(rnd, dim));
        }
        String[] keys = corpus.keySet().toArray(new String[0]);
        List<Tuning.ValidationQuery> validation = new ArrayList<>();
        for (int q = 0; q < 25; q++) {
            validation.add(new Tuning.ValidationQuery(Synthetic.unit(rnd, dim),
                    Set.of(keys[2 * q], keys[2 * q + 1 + rnd.nextInt(40)])));
        }
        float[] w = new float[dim * dim];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((i % (dim + 1) == 0 ? 1 : 0) + 0.3 * rnd.nextGaussian());
        }
        for (AdapterMode mode : AdapterMode.values()) {
            LinearAdapter a = LinearAdapter.of(dim, w, mode, true);
            for (boolean transform : new boolean[] {true, false}) {
                assertThat(Tuning.ndcg(a, validation, keys, corpus, transform)).as("%s, transform %s", mode, transform)
                        .isCloseTo(plainNdcg(a, validation, keys, corpus, transform), within(1e-6));
            }
        }
    }

    private static double plainNdcg(LinearAdapter a, List<Tuning.ValidationQuery> validation, String[] keys,
            Map<String, float[]> corpus, boolean transform) {
        double sum = 0;
        for (Tuning.ValidationQuery v : validation) {
            float[] q = a.applyQuery(v.query());
            double[] scores = new double[keys.length];
            for (int i = 0; i < keys.length; i++) {
                float[] d = transform ? a.applyDocument(corpus.get(keys[i])) : corpus.get(keys[i]);
                double s = 0;
                for (int c = 0; c < q.length; c++) {
                    s += (double) q[c] * d[c];
                }
                scores[i] = s;
            }
            sum += Tuning.ndcgAt10(scores, keys, v.relevant());
        }
        return sum / validation.size();
    }

    /** A synthetic task as the search sees it: fitting triples, validation queries and the documents by key. */
    private record Task(List<TrainingTriple> fit, List<Tuning.ValidationQuery> validation, Map<String, float[]> corpus) {

        static Task of(List<Synthetic.Timed> timed, int fitCount) {
            Map<float[], String> keyOf = new IdentityHashMap<>();
            Map<String, float[]> corpus = new LinkedHashMap<>();
            for (Synthetic.Timed t : timed) {
                List<float[]> docs = new ArrayList<>(t.triple().hardNegatives());
                docs.add(t.triple().positive());
                for (float[] d : docs) {
                    keyOf.computeIfAbsent(d, k -> {
                        String key = "d" + corpus.size();
                        corpus.put(key, k);
                        return key;
                    });
                }
            }
            List<TrainingTriple> fit = Synthetic.triples(timed.subList(0, fitCount));
            List<Tuning.ValidationQuery> validation = new ArrayList<>();
            for (Synthetic.Timed t : timed.subList(fitCount, timed.size())) {
                validation.add(new Tuning.ValidationQuery(t.triple().query(), Set.of(keyOf.get(t.triple().positive()))));
            }
            return new Task(fit, validation, corpus);
        }
    }
}
