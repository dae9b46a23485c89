package dev.embedloop.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.embedloop.config.ConfigLoader;
import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.events.TrainingExample;
import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelStore;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.model.OnnxAdapterExportTest;
import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.testing.FakeEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's bookkeeping around a live model, on the fake encoder (no ONNX, no Kafka). */
class TrainerTest {

    @TempDir
    Path store;

    /**
     * A query-only trainer with the online gate on: the gate holds out at least 5 examples of at
     * least {@code minHoldoutQueries} queries, and {@code untrainedQueries} are held back for the
     * online test (0: the old recency split's count).
     */
    private Trainer onlineTrainer(EmbeddingCache cache, int minHoldoutQueries, int untrainedQueries) {
        return onlineTrainer(cache, minHoldoutQueries, untrainedQueries, 0);
    }

    /** The same, leaving also {@code untrainedFraction} of the window's queries untrained. */
    private Trainer onlineTrainer(EmbeddingCache cache, int minHoldoutQueries, int untrainedQueries,
            double untrainedFraction) {
        TrainSettings d = TrainSettings.from(ConfigLoader.defaults());
        TrainSettings s = new TrainSettings(d.trainingPairsTopic(), d.modelUpdatesTopic(), d.groupId(),
                d.everyExamples(), d.interval(), d.windowExamples(), store,
                d.trainer().withMode(AdapterMode.QUERY_ONLY),
                d.gate().withMinHoldout(5).withMinHoldoutQueries(minHoldoutQueries))
                .withOnline(new TrainSettings.Online(true, "interleaving-outcomes",
                        new OnlineGate.Options(0.05, 20, 5000, java.time.Duration.ofDays(1)), untrainedQueries,
                        untrainedFraction, false));
        ModelDirectory base = new ModelDirectory(store.resolve("base"), store.resolve("base/model.onnx"),
                store.resolve("base/tokenizer.json"), FakeEncoder.MODEL);
        return new Trainer(s, base, cache);
    }

    private Trainer trainer(AdapterMode mode, EmbeddingCache cache) {
        return trainer(TrainSettings.from(ConfigLoader.defaults()).trainer().withMode(mode), cache);
    }

    private Trainer trainer(AdapterTrainer.Options options, EmbeddingCache cache) {
        TrainSettings d = TrainSettings.from(ConfigLoader.defaults());
        TrainSettings s = new TrainSettings(d.trainingPairsTopic(), d.modelUpdatesTopic(), d.groupId(),
                d.everyExamples(), d.interval(), d.windowExamples(), store, options,
                d.gate().withMinHoldout(5).withMinHoldoutQueries(1));
        ModelDirectory base = new ModelDirectory(store.resolve("base"), store.resolve("base/model.onnx"),
                store.resolve("base/tokenizer.json"), FakeEncoder.MODEL);
        return new Trainer(s, base, cache);
    }

    private static List<TrainingExample> examples(int n) {
        return examples(n, "fake-1");
    }

    /** n examples on 7 queries, from pages {@code servedBy} served. */
    private static List<TrainingExample> examples(int n, String servedBy) {
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new TrainingExample("query " + (i % 7), new TrainingExample.Positive("d" + i, "doc " + (i % 11)),
                    List.of(new TrainingExample.Negative("n" + i, "doc " + ((i + 3) % 11), 1)), 1.0, servedBy,
                    "q" + i, 1000L * i));
        }
        return out;
    }

    /** A symmetric model "fake-1-a1" in the store, live. */
    private ModelLineage withLiveSymmetric(LinearAdapter w) throws IOException {
        Path dir = store.resolve("fake-1-a1");
        Files.createDirectories(dir);
        w.save(dir.resolve(ModelStore.ADAPTER_FILE));
        return ModelLineage.base("fake-1").with(new ModelUpdate("fake-1-a1", dir.toString(), ModelUpdate.SYMMETRIC,
                "fake-1", null, "fake-1", "fake-1-a1", 1L, ModelUpdate.PROMOTED));
    }

    @Test
    void shouldGateQueryOnlyCandidateAgainstLiveSymmetricModelOnItsDocuments() throws IOException {
        FakeEncoder enc = new FakeEncoder();
        try (EmbeddingCache cache = EmbeddingCache.inMemory(enc)) {
            LinearAdapter w = OnnxAdapterExportTest.noisy(8, 3, 0.3, AdapterMode.SYMMETRIC);
            ModelLineage lineage = withLiveSymmetric(w);
            Trainer t = trainer(AdapterMode.QUERY_ONLY, cache);
            List<TrainingExample> ex = examples(60, "fake-1-a1");
            Trainer.Candidate c = t.candidate(ex, lineage);

            assertThat(c.mode()).isEqualTo(AdapterMode.QUERY_ONLY);
            assertThat(c.adapter().mode()).isEqualTo(AdapterMode.QUERY_ONLY);
            assertThat(c.liveVersion()).isEqualTo("fake-1-a1");
            assertThat(c.liveDocumentVersion()).isEqualTo("fake-1-a1");

            // the live model's metrics are those of W on both sides of the base vectors
            Gate gate = new Gate(t.settings().gate());
            List<TrainingExample> holdout = QuerySplit.split(ex, TrainingExample::query, TrainingExample::timestamp,
                    e -> true, gate.holdoutTarget(ex.size())).holdout();
            assertThat(holdout).isNotEmpty();
            List<TrainingTriple> baseTriples = holdout.stream().map(e -> new TrainingTriple(cache.query(e.query()),
                    cache.documents(List.of(e.positive().text())).get(0),
                    cache.documents(List.of(e.negatives().get(0).text())), e.weight())).toList();
            assertThat(c.decision().live().mrr()).isCloseTo(gate.evaluate(w, baseTriples).mrr(), within(1e-9));

            ModelUpdate u = t.update(t.nextVersion(lineage), store.resolve("x"), c, null, 2L);
            assertThat(u.version()).isEqualTo("fake-1-a2");
            assertThat(u.mode()).isEqualTo(ModelUpdate.QUERY_ONLY);
            assertThat(u.parent()).isEqualTo("fake-1-a1");
            assertThat(u.documentVersion()).as("query-only keeps the live documents").isEqualTo("fake-1-a1");
        }
    }

    /**
     * Each of 40 queries has its own arbitrary clicked document, clicked again and again (the
     * trainer merges the copies: one example a pair): nothing generalises, but a model can memorise
     * the pairs. Held out by example (the old split), the
     * memorising candidate wins on the very queries it learned; held out by query, it cannot.
     */
    @Test
    void shouldNotPromoteACandidateThatMemorisesTheTrainingQueriesPositives() throws IOException {
        try (EmbeddingCache cache = EmbeddingCache.inMemory(new FakeEncoder())) {
            List<TrainingExample> ex = new ArrayList<>();
            java.util.Random rnd = new java.util.Random(7);
            int queries = 40;
            int[] clicked = new int[queries];
            for (int q = 0; q < queries; q++) {
                clicked[q] = rnd.nextInt(400);
            }
            // each query's page skips the same document above the click, its own and clicked by no
            // query: a skipped document shared with other queries (another query's click, or
            // another query's skipped one) would teach something that carries over to them
            int[] skippedFor = new int[queries];
            for (int q = 0; q < queries; q++) {
                skippedFor[q] = 400 + q;
            }
            for (int i = 0; i < 480; i++) {
                int q = i % queries;
                int skipped = skippedFor[q];
                ex.add(new TrainingExample("query " + q, new TrainingExample.Positive("d" + clicked[q], "doc " + clicked[q]),
                        List.of(new TrainingExample.Negative("d" + skipped, "doc " + skipped, 1)), 1.0, "fake-1",
                        "q" + i, 1000L * i));
            }
            AdapterTrainer.Options memorise = TrainSettings.from(ConfigLoader.defaults()).trainer()
                    .withMode(AdapterMode.QUERY_ONLY).withEpochs(40).withLearningRate(0.05).withLambda(0);
            Trainer t = trainer(memorise, cache);
            Trainer.Candidate c = t.candidate(ex, ModelLineage.base("fake-1"));
            assertThat(c.promote()).as(c.decision().reason()).isFalse();

            // the same training judged on held-out examples of the trained queries is promoted: the test can fail
            Gate gate = new Gate(t.settings().gate());
            Gate.Split<TrainingExample> byTime = gate.split(ex, TrainingExample::timestamp);
            java.util.function.Function<TrainingExample, TrainingTriple> triple = e -> new TrainingTriple(
                    cache.query(e.query()), cache.documents(List.of(e.positive().text())).get(0),
                    cache.documents(List.of(e.negatives().get(0).text())), e.weight());
            LinearAdapter w = new AdapterTrainer(memorise).train(8, byTime.train().stream().map(triple).toList())
                    .adapter();
            List<TrainingTriple> held = byTime.holdout().stream().map(triple).toList();
            Gate.Decision leaky = gate.decide(LinearAdapter.identity(8).withMode(AdapterMode.QUERY_ONLY), w, held);
            assertThat(leaky.promote()).as(leaky.reason()).isTrue();
        }
    }

    @Test
    void shouldNameVersionsPastExistingDirectories() throws IOException {
        try (EmbeddingCache cache = EmbeddingCache.inMemory(new FakeEncoder())) {
            Trainer t = trainer(AdapterMode.SYMMETRIC, cache);
            ModelLineage lineage = ModelLineage.base("fake-1");
            assertThat(t.nextVersion(lineage)).isEqualTo("fake-1-a1");
            Files.createDirectories(store.resolve("fake-1-a1")); // a crashed export's leftovers
            Files.createDirectories(store.resolve("fake-1-a2"));
            assertThat(t.nextVersion(lineage)).isEqualTo("fake-1-a3");

            Trainer.Candidate c = t.candidate(examples(60), lineage);
            ModelUpdate u = t.update("fake-1-a3", store.resolve("fake-1-a3"), c, null, 5L);
            assertThat(u.documentVersion()).as("symmetric needs its own documents").isEqualTo("fake-1-a3");
            assertThat(u.parent()).isEqualTo("fake-1");
            assertThat(Trainer.metricsMap(c)).containsKeys("live", "candidate", "improvement", "examples");
        }
    }

    @Test
    void shouldReturnNoCandidateWithoutExamples() throws IOException {
        try (EmbeddingCache cache = EmbeddingCache.inMemory(new FakeEncoder())) {
            Trainer.Candidate c = trainer(AdapterMode.SYMMETRIC, cache).candidate(List.of(), ModelLineage.base("fake-1"));
            assertThat(c.promote()).isFalse();
            assertThat(c.adapter()).isNull();
            assertThat(Trainer.metricsMap(c)).containsEntry("examples", 0).doesNotContainKey("live");
        }
    }

    @Test
    void shouldTrackWindowRangesAndFreshExamples() {
        TrainingWindow w = new TrainingWindow(3);
        List<TrainingExample> ex = examples(5);
        w.add(new TrainingWindow.Entry(ex.get(0), 0, 10), false);
        w.add(new TrainingWindow.Entry(ex.get(1), 1, 4), true);
        w.add(new TrainingWindow.Entry(ex.get(2), 0, 11), true);
        w.add(new TrainingWindow.Entry(ex.get(3), 1, 5), true);
        assertThat(w.size()).isEqualTo(3);
        assertThat(w.fresh()).isEqualTo(3);
        assertThat(TrainingWindow.ranges(w.snapshot())).isEqualTo(Map.of(
                0, new TrainingWindow.Range(11, 11), 1, new TrainingWindow.Range(4, 5)));
        w.markTrained();
        assertThat(w.fresh()).isZero();
        assertThat(TrainingWindow.examples(w.snapshot())).containsExactly(ex.get(1), ex.get(2), ex.get(3));
    }

    @Test
    void shouldScreenOnQueriesTheLiveModelHasNotSeenOrElseAgainstTheStartingPoint() throws IOException {
        FakeEncoder enc = new FakeEncoder();
        try (EmbeddingCache cache = EmbeddingCache.inMemory(enc)) {
            Trainer t = onlineTrainer(cache, 1, 0);
            List<TrainingExample> ex = examples(60, "fake-1");

            // the base model is live and has seen nothing: the screen compares with it
            Trainer.Candidate fresh = t.candidate(ex, ModelLineage.base("fake-1"), java.util.Set.of());
            assertThat(fresh.decision().reason()).contains("judged online").doesNotContain("starting point");

            // the live model saw queries 0 to 3: queries 4 to 6 are enough to compare with it
            java.util.Set<String> some = java.util.Set.of("query 0", "query 1", "query 2", "query 3");
            Trainer.Candidate partly = t.candidate(ex, ModelLineage.base("fake-1"), some);
            assertThat(partly.decision().reason()).doesNotContain("starting point");
            assertThat(partly.holdoutExamples()).isGreaterThanOrEqualTo(5);

            // it saw every query (repeated traffic): the candidate is screened against where it started
            java.util.Set<String> all = QuerySplit.queries(ex, TrainingExample::query);
            Trainer.Candidate repeated = t.candidate(ex, ModelLineage.base("fake-1"), all);
            assertThat(repeated.decision().reason()).contains("starting point (the identity)");
            assertThat(repeated.holdoutExamples()).isGreaterThanOrEqualTo(5);
        }
    }

    @Test
    void shouldLeaveTheSameQueriesUntrainedCandidateAfterCandidate() throws IOException {
        FakeEncoder enc = new FakeEncoder();
        try (EmbeddingCache cache = EmbeddingCache.inMemory(enc)) {
            Trainer t = onlineTrainer(cache, 3, 50);
            // repeated traffic over 40 queries: 50 untrained asked, at most half of them held back
            List<TrainingExample> round1 = new ArrayList<>();
            List<TrainingExample> rounds12 = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                TrainingExample e = new TrainingExample("query " + (i % 40),
                        new TrainingExample.Positive("d" + i, "doc " + (i % 11)),
                        List.of(new TrainingExample.Negative("n" + i, "doc " + ((i + 3) % 11), 1)), 1.0, "fake-1",
                        "q" + i, 1000L * i);
                round1.add(e);
                rounds12.add(e);
            }
            Trainer.Candidate first = t.candidate(round1, ModelLineage.base("fake-1"), java.util.Set.of());
            java.util.Set<String> all = QuerySplit.queries(round1, TrainingExample::query);
            assertThat(first.trainedQueries()).hasSize(20);
            assertThat(all).containsAll(first.trainedQueries());

            // the next round repeats the queries in another order; the live model trained on the
            // first candidate's queries: the same 20 stay untrained, and they judge it against the live model
            for (int i = 0; i < 400; i++) {
                rounds12.add(new TrainingExample("Query  " + (39 - i % 40),
                        new TrainingExample.Positive("e" + i, "doc " + (i % 11)),
                        List.of(new TrainingExample.Negative("m" + i, "doc " + ((i + 5) % 11), 1)), 1.0, "fake-1",
                        "r" + i, 1_000_000L + 1000L * i));
            }
            Trainer.Candidate second = t.candidate(rounds12, ModelLineage.base("fake-1"), first.trainedQueries());
            assertThat(second.trainedQueries()).isEqualTo(first.trainedQueries());
            assertThat(second.decision().reason()).doesNotContain("starting point");
        }
    }

    @Test
    void shouldLeaveAFractionOfAWindowOfManyQueriesUntrainedAndKeepThoseAsTheWindowGrows() throws IOException {
        FakeEncoder enc = new FakeEncoder();
        try (EmbeddingCache cache = EmbeddingCache.inMemory(enc)) {
            Trainer t = onlineTrainer(cache, 3, 50, 0.25);
            // 400 distinct queries, 2 examples each: a quarter (100) untrained, not only the 50 counted
            List<TrainingExample> window = new ArrayList<>();
            for (int i = 0; i < 800; i++) {
                window.add(new TrainingExample("question " + (i % 400),
                        new TrainingExample.Positive("d" + i, "doc " + (i % 13)),
                        List.of(new TrainingExample.Negative("n" + i, "doc " + ((i + 4) % 13), 1)), 1.0, "fake-1",
                        "q" + i, 1000L * i));
            }
            Trainer.Candidate first = t.candidate(window, ModelLineage.base("fake-1"), java.util.Set.of());
            java.util.Set<String> all = QuerySplit.queries(window, TrainingExample::query);
            assertThat(first.trainedQueries()).hasSize(300);
            assertThat(first.decision().reason()).endsWith("; 100 of 400 queries held out, untrained for the online test");

            // 200 more queries: a quarter of 600 is 150, and the first 100 are among them
            for (int i = 0; i < 400; i++) {
                window.add(new TrainingExample("question " + (400 + i % 200),
                        new TrainingExample.Positive("e" + i, "doc " + (i % 13)),
                        List.of(new TrainingExample.Negative("m" + i, "doc " + ((i + 6) % 13), 1)), 1.0, "fake-1",
                        "r" + i, 1_000_000L + 1000L * i));
            }
            Trainer.Candidate second = t.candidate(window, ModelLineage.base("fake-1"), java.util.Set.of());
            assertThat(second.trainedQueries()).hasSize(450);
            assertThat(second.decision().reason()).endsWith("; 150 of 600 queries held out, untrained for the online test");
            java.util.Set<String> untrainedBefore = new java.util.HashSet<>(all);
            untrainedBefore.removeAll(first.trainedQueries());
            assertThat(untrainedBefore).hasSize(100).doesNotContainAnyElementsOf(second.trainedQueries());
        }
    }

    @Test
    void shouldHoldOutAtLeastMinValidationQueriesForTheSettingsSearchButNoMoreThanHalf() throws IOException {
        // repeated traffic: 80 queries with 5 examples each; the online test holds 40 of them back, and a fifth
        // of the other 200 examples is 8 queries
        List<TrainingExample> ex = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            ex.add(new TrainingExample("query " + (i % 80), new TrainingExample.Positive("d" + i, "doc " + (i % 11)),
                    List.of(new TrainingExample.Negative("n" + i, "doc " + ((i + 3) % 11), 1)), 1.0, "fake-1",
                    "q" + i, 1000L * i));
        }
        Map<String, Integer> validationQueries = new java.util.LinkedHashMap<>();
        for (String min : List.of("1", "12", "1000")) {
            TrainSettings s = TrainSettings.from(ConfigLoader.defaults().with(Map.of(
                    "train.model-store", store.toString(),
                    "train.mode", "query-only",
                    "train.min-validation-queries", min,
                    "train.search.temperatures", "0.1",
                    "train.search.lambdas", "0.1",
                    "train.search.learning-rates", "0.01",
                    "train.search.max-epochs", "2")));
            ModelDirectory base = new ModelDirectory(store.resolve("base"), store.resolve("base/model.onnx"),
                    store.resolve("base/tokenizer.json"), FakeEncoder.MODEL);
            try (EmbeddingCache cache = EmbeddingCache.inMemory(new FakeEncoder())) {
                Trainer.Candidate c = new Trainer(s, base, cache).candidate(ex, ModelLineage.base("fake-1"),
                        java.util.Set.of());
                assertThat(c.choice().searched()).isTrue();
                validationQueries.put(min, c.choice().validationQueries());
            }
        }
        assertThat(validationQueries.get("1")).as("by the fraction of examples alone").isEqualTo(8);
        assertThat(validationQueries.get("12")).isEqualTo(12);
        assertThat(validationQueries.get("1000")).as("half of the 40 queries trained on").isEqualTo(20);
    }

    /** Superseding counts the window's examples past the candidate's window, and a record it cannot read counts none. */
    @Test
    void shouldCountExamplesNewerThanACandidatesWindowAndToleratePartialRecords() throws IOException {
        List<TrainingWindow.Entry> entries = new ArrayList<>();
        List<TrainingExample> ex = examples(10);
        for (int i = 0; i < 10; i++) {
            entries.add(new TrainingWindow.Entry(ex.get(i), i % 2, i)); // partition 0: offsets 0,2,..; 1: 1,3,..
        }
        ModelUpdate candidate = new ModelUpdate("fake-1-a1", "unused", ModelUpdate.QUERY_ONLY, "fake-1", null, "fake-1",
                "fake-1", 1L, ModelUpdate.UNDER_TEST);
        java.util.function.Function<String, ModelUpdate> withWindow = json -> {
            try {
                return candidate.withTrainingWindow(dev.embedloop.events.Json.MAPPER.readTree(json));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        // trained up to offset 4 on partition 0 and 5 on partition 1: 6, 8 and 7, 9 are newer
        assertThat(TrainerService.newerThanWindow(entries, withWindow.apply(
                "{\"partitions\": {\"0\": {\"from\": 0, \"to\": 4}, \"1\": {\"from\": 1, \"to\": 5}}}")))
                .isEqualTo(4);
        // a partition it never saw: all of that partition is newer
        assertThat(TrainerService.newerThanWindow(entries, withWindow.apply(
                "{\"partitions\": {\"0\": {\"from\": 0, \"to\": 8}}}"))).isEqualTo(5);
        // no window, partitions of the wrong shape, a range without an end: nothing counted, nothing thrown
        assertThat(TrainerService.newerThanWindow(entries, candidate)).isZero();
        assertThat(TrainerService.newerThanWindow(entries, withWindow.apply("{\"partitions\": [1, 2]}"))).isZero();
        assertThat(TrainerService.newerThanWindow(entries, withWindow.apply(
                "{\"partitions\": {\"0\": {\"from\": \"x\"}, \"1\": \"to\"}}"))).isZero();
    }

    /**
     * A query-document pair clicked in several sessions trains once: the deepest click's weight,
     * every copy's negatives once, the newest copy's version and time; other documents of the
     * query and other queries stay as they are, in the window's order.
     */
    @Test
    void shouldTrainEachQueryDocumentPairOnceMergingItsCopies() {
        // clicked at rank 3 on the base model's page
        TrainingExample base = click("Wing stall", "d1", 2.16, "fake-1", 10, "d2", "d3");
        TrainingExample otherDoc = click("wing stall", "d9", 1.0, "fake-1", 11);
        TrainingExample otherQuery = click("glaciers", "d1", 1.0, "fake-1", 12);
        // the same pair later, first on the live model's page: nothing skipped above it
        TrainingExample live = click(" WING  stall", "d1", 1.0, "fake-2", 30);
        // and at rank 2 on an interleaved page, arriving out of order
        TrainingExample interleaved = click("wing stall", "d1", 1.62, "fake-2", 20, "d4", "d2");

        List<TrainingExample> out = Trainer.distinctPairs(List.of(base, otherDoc, otherQuery, live, interleaved));

        assertThat(out).hasSize(3);
        TrainingExample merged = out.get(0);
        assertThat(merged.query()).isEqualTo(live.query());
        assertThat(merged.positive()).isEqualTo(base.positive());
        assertThat(merged.weight()).isEqualTo(2.16);
        assertThat(merged.negatives()).extracting(TrainingExample.Negative::id).containsExactly("d2", "d3", "d4");
        assertThat(merged.modelVersion()).isEqualTo("fake-2");
        assertThat(merged.timestamp()).isEqualTo(30);
        assertThat(out.get(1)).isSameAs(otherDoc);
        assertThat(out.get(2)).isSameAs(otherQuery);
        List<TrainingExample> distinct = List.of(base, otherDoc, otherQuery);
        assertThat(Trainer.distinctPairs(distinct)).isSameAs(distinct);
    }

    /** A click on {@code positive} for {@code query}, skipping {@code negatives} (a document's text is its id's). */
    private static TrainingExample click(String query, String positive, double weight, String version, long timestamp,
            String... negatives) {
        List<TrainingExample.Negative> skipped = new ArrayList<>();
        for (String n : negatives) {
            skipped.add(new TrainingExample.Negative(n, "text of " + n, skipped.size() + 1));
        }
        return new TrainingExample(query, new TrainingExample.Positive(positive, "text of " + positive), skipped,
                weight, version, "i" + timestamp, timestamp);
    }

    @Test
    void shouldNeverUseADocumentClickedForAQueryAsItsNegative() {
        TrainingExample first = click("Wing stall", "d1", 1.0, "fake-1", 1, "d2", "d3");
        // another session of the same query (normalised alike) clicked d2, skipping d1
        TrainingExample second = click("wing  STALL ", "d2", 1.0, "fake-1", 2, "d1");
        // another query may keep d2 as a negative
        TrainingExample other = click("glaciers", "d4", 1.0, "fake-1", 3, "d2");
        List<TrainingExample> out = Trainer.withoutClickedNegatives(List.of(first, second, other));
        assertThat(out.get(0).negatives()).extracting(TrainingExample.Negative::id).containsExactly("d3");
        assertThat(out.get(1).negatives()).isEmpty();
        assertThat(out.get(2)).isSameAs(other);
    }
}
