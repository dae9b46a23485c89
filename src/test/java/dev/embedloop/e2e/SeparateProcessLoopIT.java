package dev.embedloop.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.eval.BeirDataset;
import dev.embedloop.eval.ClickModel;
import dev.embedloop.eval.ClickSimulator;
import dev.embedloop.eval.Metrics;
import dev.embedloop.eval.Qrels;
import dev.embedloop.eval.SearchClient;
import dev.embedloop.events.Json;
import dev.embedloop.events.TrainingExample;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.lineage.ModelUpdatesFollower;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.testing.Await;
import dev.embedloop.testing.ChildProcess;
import dev.embedloop.testing.QdrantProbe;
import dev.embedloop.testing.TestData;
import io.qdrant.client.QdrantClient;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15's acceptance test: the separate-process layout of the compose file ({@code index},
 * {@code serve}, {@code feedback}, {@code train}, each its own JVM, plus the one-shot
 * {@code rollback}, {@code train pause} and {@code train resume}) against the embedded broker and
 * the Qdrant local mode of this JVM, on a slice of Cranfield, with simulated users repeating the
 * same train-split queries through the search service's HTTP API.
 *
 * <ol>
 *   <li>No promotion lowers nDCG@10 of the test split (queries never clicked), measured through
 *       {@code /search} before any traffic and whenever the live model changes.
 *   <li>A rollback sticks: the same traffic promotes nothing until
 *       {@code train.min-new-examples-after-rollback} examples newer than the rollback exist, and
 *       neither the rolled-back version nor a candidate of its training window comes back.
 *   <li>{@code train pause} holds through a trainer restart while the new trainer's example counter
 *       passes {@code train.every-examples}.
 *   <li>An indexer restarted with SIGTERM indexes a document published while it was down within
 *       10 s of starting Kafka Streams.
 * </ol>
 *
 * Every figure is printed with the prefix {@code [separate-process]}. Logs of the children go to
 * {@code target/separate-process/}.
 */
class SeparateProcessLoopIT {

    private static final String MODEL = "all-minilm-l6-v2-q";
    private static final String P = "[separate-process] ";
    private static final long SEED = 15;

    // the slice: train queries the users repeat, test queries nobody clicks, their judged documents and fillers
    private static final int TRAIN_QUERIES = 60;
    private static final int TEST_QUERIES = 30;
    private static final int FILLERS = 40;
    private static final int SESSIONS = 2;

    // the trainer's settings, pinned: the test relies on each of them
    private static final int EVERY_EXAMPLES = 100;
    private static final int MIN_NEW_BETWEEN_PROMOTIONS = 60;
    // above what can arrive while a training that began before the rollback finishes, so the first due
    // training after the rollback is held (every-examples passes long before this)
    private static final int MIN_NEW_AFTER_ROLLBACK = 300;
    private static final Map<String, String> TRAIN = orderedMap(
            // as shipped: a candidate that passes the offline screen is decided by interleaving on the traffic
            "train.online-gate", "true",
            "train.online-min-preferences", "20",
            "train.online-alpha", "0.05",
            // the budget after which an undecided candidate is abandoned, in test time: a first candidate
            // trained on ~100 examples barely differs from the base model and may never be decided
            "train.online-max-impressions", "240",
            // query-only: a promotion changes the query model only, no re-index, so serve switches at once
            "train.mode", "query-only",
            "train.every-examples", Integer.toString(EVERY_EXAMPLES),
            // only the example count triggers a training
            "train.interval-ms", "3600000",
            "train.window-examples", "20000",
            // the gate and the settings search as shipped: what decides is what production runs
            "train.holdout-fraction", "0.1",
            "train.min-holdout", "50",
            // opened: as shipped (0.01) the offline screen keeps every candidate of this traffic from
            // users (on the 30 held-back queries they lose 0.04-0.11 MRR to the base model), and phases
            // 2 and 3 need candidates under test; so here the online gate alone stands between a
            // candidate and a promotion, and assertion 1 judges what it lets through
            "train.gate-margin", "1",
            "train.gate-alpha", "0.05",
            "train.search.enabled", "true",
            "train.min-validation", "30",
            "train.min-promotion-interval-ms", "5000",
            "train.min-new-examples-between-promotions", Integer.toString(MIN_NEW_BETWEEN_PROMOTIONS),
            "train.min-new-examples-after-rollback", Integer.toString(MIN_NEW_AFTER_ROLLBACK));
    /** nDCG@10 a promotion may lose on the test split: see {@link #assertNoPromotionLowersTestNdcg}. */
    private static final double NDCG_TOLERANCE = 0.01;

    @TempDir
    Path work;

    private EmbeddedServices services;
    private ChildProcess.Launcher launcher;
    private final List<ChildProcess> children = new ArrayList<>();
    private final List<String> shared = new ArrayList<>();
    private final Map<String, Double> ndcgByVersion = new LinkedHashMap<>();
    private final Map<String, double[]> perQueryByVersion = new LinkedHashMap<>();
    /** Versions the test promoted itself (when the trainer promoted nothing in phase 1): not judged by assertion 1. */
    private final Set<String> promotedByTest = new java.util.HashSet<>();
    private final List<String> figures = new ArrayList<>();

    private Map<String, String> corpusTitles;
    private Map<String, String> corpusTexts;
    private List<ClickSimulator.SimQuery> trainQueries;
    private List<ClickSimulator.SimQuery> testQueries;
    private SearchClient search;
    private ClickSimulator users;
    private int round;
    private int evalRun;

    @Test
    void shouldKeepTheLoopSafeUnderRepeatedQueryTrafficAcrossProcessesAndRestarts() throws Exception {
        long t0 = System.nanoTime();
        Path dataset = TestData.requireFiles(TestData.cranfield(), BeirDataset.CORPUS, BeirDataset.QUERIES,
                "qrels/train.tsv", "qrels/test.tsv");
        slice(BeirDataset.load(dataset));
        EmbedloopConfig defaults = ConfigLoader.defaults().with(Map.of("model", MODEL));
        services = EmbeddedServices.start(defaults, 0, 0, work.resolve("qdrant"));
        EmbedloopConfig cfg = services.configure(defaults);
        launcher = ChildProcess.Launcher.of(services, MODEL, "separate-process");
        // what the compose file gives every service: one model store, each instance its own local copies
        shared.addAll(List.of(
                "--set", "train.model-store=" + work.resolve("models"),
                // the users click within a second of their search: decide their pairs soon after
                "--set", "search.query-ttl-ms=3000",
                "--set", "feedback.window-ms=3000",
                "--set", "feedback.punctuation-interval-ms=500",
                // every simulated session is another user repeating a popular query (as eval does)
                "--set", "feedback.dedup-window-ms=0"));
        TRAIN.forEach((k, v) -> shared.addAll(List.of("--set", k + "=" + v)));

        List<org.apache.kafka.clients.admin.NewTopic> topics = new ArrayList<>(KafkaTopics.modelTopics(cfg));
        topics.addAll(KafkaTopics.feedbackTopics(cfg));
        topics.addAll(KafkaTopics.indexingTopics(cfg));
        KafkaTopics.ensure(cfg.kafkaProperties(), topics);
        try (TopicTail<ModelUpdate> updates = new TopicTail<>(cfg.kafkaProperties(), cfg.topics().modelUpdates(),
                        b -> Json.MAPPER.readValue(b, ModelUpdate.class));
                TopicTail<TrainingExample> examples = new TopicTail<>(cfg.kafkaProperties(),
                        cfg.topics().trainingPairs(), b -> Json.MAPPER.readValue(b, TrainingExample.class));
                QdrantClient qdrant = Qdrant.connect(cfg.qdrant())) {
            publishCorpus(cfg);
            ChildProcess index = start("index", List.of("index"), "--set", "kafka.state.dir=" + work.resolve("index"),
                    "--set", "model.local-store=" + work.resolve("local-index"), "--set", "instance.id=index-0",
                    "--stats-interval", "1");
            ChildProcess serve = start("serve", List.of("serve"), "--port", "0",
                    "--set", "model.local-store=" + work.resolve("local-serve"));
            ChildProcess feedback = start("feedback", List.of("feedback"),
                    "--set", "kafka.state.dir=" + work.resolve("feedback"), "--set", "instance.id=feedback-0");
            ChildProcess trainer = start("train", List.of("train"), "--stats-interval", "1");

            QdrantProbe probe = new QdrantProbe(qdrant, cfg.qdrant().collection());
            Await.until(Duration.ofSeconds(180), () -> distinctDocuments(probe) >= corpusTexts.size() || !index.alive(),
                    () -> corpusTexts.size() + " documents indexed (have " + distinctDocuments(probe) + ")");
            assertThat(index.alive()).as("the indexer runs (log " + index.log() + ")").isTrue();
            figure("corpus of %d documents indexed by the index process %.1f s after the test started",
                    corpusTexts.size(), seconds(t0));
            search = new SearchClient(serviceUri(serve), Duration.ofSeconds(30));
            users = new ClickSimulator(search, new ClickModel(ClickModel.DEFAULT_ETA, ClickModel.DEFAULT_DWELL_MS),
                    SEED, "sep", null);
            awaitLog(feedback, "feedback REBALANCING -> RUNNING", Duration.ofSeconds(120));
            awaitLog(trainer, "trainer started", Duration.ofSeconds(120));
            String base = liveVersionServed();
            measure(base, "base model, before any traffic");
            figure("all four services up %.1f s after the test started", seconds(t0));

            // 1. promotions under repeated-query traffic
            int promotionsBefore = promotions(updates).size();
            // eight rounds see two or three trainings: enough for the trainer to promote if users prefer a
            // candidate; when it does not, a candidate it put under test serves phases 2 and 3
            trafficUntil(Duration.ofSeconds(100), 8, () -> promotions(updates).size() > promotionsBefore,
                    updates, "a promotion");
            List<Seen<ModelUpdate>> promoted = promotions(updates);
            figure("phase 1: %d promotion(s) from %d training example(s), %d training(s) logged, %d round(s) of traffic",
                    promoted.size(), examples.size(), trainer.countInLog("training: "), round);
            if (promoted.isEmpty()) {
                // the trainer may rightly promote nothing on this traffic; phases 2 and 3 need a live model to
                // roll back, so the test promotes a candidate the trainer put under test (the one under test
                // now, else the last one abandoned), as the online gate would; it is left out of assertion 1,
                // which judges the trainer's own promotions
                trafficUntil(Duration.ofSeconds(240), 20, () -> !promotions(updates).isEmpty()
                        || lastTested(updates).isPresent(), updates, "a candidate that went under test");
                if (promotions(updates).isEmpty()) {
                    ModelUpdate candidate = lastTested(updates).orElseThrow(() -> new AssertionError(
                            "the trainer put no candidate under test (trainer log " + trainer.log() + ")"));
                    ModelUpdatesFollower.publish(cfg.kafkaProperties(), cfg.topics().modelUpdates(),
                            candidate.withStatus(ModelUpdate.PROMOTED, System.currentTimeMillis()));
                    promotedByTest.add(candidate.version());
                    Await.until(Duration.ofSeconds(30), () -> !promotions(updates).isEmpty(),
                            () -> candidate.version() + " promoted on model-updates");
                    measureNewLiveModel(updates);
                    figure("phase 1: the trainer promoted nothing; the test promoted its candidate %s (%s)",
                            candidate.version(), candidate.status());
                }
            }
            assertThat(promotions(updates)).as("a live model to roll back in phase 2 (trainer log " + trainer.log() + ")")
                    .isNotEmpty();

            // 2. rollback sticks
            Seen<ModelUpdate> rollback = rollbackSticks(updates, examples, trainer);
            ModelUpdate rolledBack = rollback.value();

            // 3. pause holds through a trainer restart
            pauseHoldsThroughRestart(updates, examples, trainer);

            // 4. indexer restart
            indexerRestart(cfg, index, probe);

            // 2 again, over every promotion since the rollback (phase 3's included); then 1, checked last
            // so that a failure still leaves every other figure measured
            assertRollbackStuck(updates, examples, rollback);
            assertNoPromotionLowersTestNdcg(updates, rolledBack);
        } finally {
            figure("whole test %.1f s", seconds(t0));
            for (ChildProcess c : children) {
                c.close();
            }
            if (services != null) {
                services.close();
            }
            // every figure again, together, for the note
            figures.forEach(f -> System.out.println(P + "summary: " + f));
        }
    }

    // ---- phase 2 ------------------------------------------------------------------------------------------

    private Seen<ModelUpdate> rollbackSticks(TopicTail<ModelUpdate> updates, TopicTail<TrainingExample> examples,
            ChildProcess trainer) throws Exception {
        String liveBefore = liveVersionServed();
        int heldBefore = trainer.countInLog("training held: rolled back");
        ChildProcess rollback = launcher.run("rollback", List.of("rollback"), shared, Duration.ofSeconds(120));
        children.add(rollback);
        Seen<ModelUpdate> mark = awaitRecord(updates, u -> u.rolledBackStatus() && u.version().equals(liveBefore),
                "the rolled_back record of " + liveBefore);
        ModelUpdate rolledBack = mark.value();
        long rolledBackAt = rolledBack.rolledBackAt();
        Matcher said = Pattern.compile("live model is now (\\S+)").matcher(rollback.logText());
        assertThat(said.find()).as("rollback names the live model: " + rollback.log()).isTrue();
        String liveAfter = awaitServedVersion(said.group(1));
        measure(liveAfter, "live again after rolling back " + liveBefore);
        figure("phase 2: rolled back %s; live is %s again", liveBefore, liveAfter);

        // the same traffic again: with few new examples the trainer holds; after enough it may promote again
        // until a promotion, or until the trainer has held for the rollback and the examples newer than
        // it have passed the rule's threshold (a training due after that may promote: assertion 2 judges it)
        trafficUntil(Duration.ofSeconds(120), 10, () -> promotionsAfter(updates, mark.offset()).size() >= 1
                || examples.count(e -> e.value().timestamp() > rolledBackAt) >= MIN_NEW_AFTER_ROLLBACK + EVERY_EXAMPLES
                        && trainer.countInLog("training held: rolled back") > heldBefore,
                updates, "a promotion after the rollback");
        int held = trainer.countInLog("training held: rolled back") - heldBefore;
        long fresh = examples.count(e -> e.value().timestamp() > rolledBackAt);
        String phase2 = String.format(Locale.ROOT,
                "phase 2: %d held training(s) citing the rollback, %d example(s) newer than it, %d promotion(s) after it",
                held, fresh, promotionsAfter(updates, mark.offset()).size());
        figure("%s", phase2);
        assertThat(held).as("the trainer was due and held because of the rollback; " + phase2 + " (trainer log "
                + trainer.log() + ")").isPositive();
        assertRollbackStuck(updates, examples, mark);
        return mark;
    }

    /**
     * Every promotion after the rollback record came with at least
     * {@code train.min-new-examples-after-rollback} examples newer than the rollback on the topic, and
     * neither the rolled-back version nor another candidate of its training window is promoted again.
     */
    private void assertRollbackStuck(TopicTail<ModelUpdate> updates, TopicTail<TrainingExample> examples,
            Seen<ModelUpdate> mark) {
        ModelUpdate rolledBack = mark.value();
        long rolledBackAt = rolledBack.rolledBackAt();
        for (Seen<ModelUpdate> p : promotionsAfter(updates, mark.offset())) {
            long newerAtPromotion = examples.count(e -> e.value().timestamp() > rolledBackAt
                    && e.timestamp() <= p.value().promotedAt());
            figure("rollback check: %s promoted after the rollback with %d example(s) newer than the rollback on the "
                    + "topic (need %d)", p.value().version(), newerAtPromotion, MIN_NEW_AFTER_ROLLBACK);
            assertThat(newerAtPromotion).as("examples newer than the rollback before " + p.value().version()
                    + " was promoted").isGreaterThanOrEqualTo(MIN_NEW_AFTER_ROLLBACK);
        }
        JsonNode window = rolledBack.trainingWindow();
        assertThat(window).as("the rolled-back record keeps its training window").isNotNull();
        for (Seen<ModelUpdate> p : promotionsAfter(updates, mark.offset())) {
            assertThat(p.value().version()).as("the rolled-back version is never promoted again")
                    .isNotEqualTo(rolledBack.version());
            assertThat(p.value().trainingWindow() == null ? null : p.value().trainingWindow().get("partitions"))
                    .as(p.value().version() + " is not trained on the rolled-back window")
                    .isNotEqualTo(window.get("partitions"));
        }
    }

    // ---- phase 3 ------------------------------------------------------------------------------------------

    private void pauseHoldsThroughRestart(TopicTail<ModelUpdate> updates, TopicTail<TrainingExample> examples,
            ChildProcess trainer) throws Exception {
        // a training already running when the pause lands is not this test's subject (see the report):
        // pause once the trainer has had every example and finished what it was doing
        awaitQuiet(examples, trainer);
        children.add(launcher.run("train-pause", List.of("train", "pause"), shared, Duration.ofSeconds(120)));
        Seen<ModelUpdate> pause = awaitRecord(updates, u -> u.isTrainingControl() && ModelUpdate.PAUSED.equals(u.status()),
                "the paused training-control record");
        long stopped = System.nanoTime();
        assertThat(trainer.stop(Duration.ofSeconds(60))).as("the trainer exits on SIGTERM").isTrue();
        figure("phase 3: trainer stopped with SIGTERM in %d ms", (System.nanoTime() - stopped) / 1_000_000);
        ChildProcess second = start("train-2", List.of("train"), "--stats-interval", "1");
        awaitLog(second, "trainer started", Duration.ofSeconds(120));
        // it may hold once at once on examples it had not trained on before the restart; what counts is a
        // hold after every-examples new examples arrived from traffic sent to it
        long trafficFrom = System.currentTimeMillis();
        String pausedHold = "training held: promotions are paused";
        java.util.function.LongSupplier dueAt = () -> {
            List<Long> times = examples.all().stream().map(Seen::timestamp).filter(t -> t >= trafficFrom).sorted().toList();
            return times.size() < EVERY_EXAMPLES ? Long.MAX_VALUE : times.get(EVERY_EXAMPLES - 1);
        };
        trafficUntil(Duration.ofSeconds(120), 10, () -> linesAfter(second, pausedHold, dueAt.getAsLong()) > 0,
                updates, "the restarted trainer to be due and hold because of the pause");
        long examplesWhilePaused = examples.count(e -> e.timestamp() >= trafficFrom);
        figure("phase 3: the restarted trainer held %d time(s) for the pause, %d of them after the %dth example of the "
                + "traffic sent after its start (every-examples %d; %d examples in all while paused)",
                second.countInLog(pausedHold), linesAfter(second, pausedHold, dueAt.getAsLong()), EVERY_EXAMPLES,
                EVERY_EXAMPLES, examplesWhilePaused);
        assertThat(linesAfter(second, pausedHold, dueAt.getAsLong()))
                .as("the restarted trainer was due on new traffic (every-examples passed) and held: log " + second.log())
                .isPositive();
        assertThat(promotionsAfter(updates, pause.offset())).as("nothing promoted while paused").isEmpty();
        assertThat(second.logContains("training: promoted")).as("the restarted trainer promoted nothing").isFalse();

        children.add(launcher.run("train-resume", List.of("train", "resume"), shared, Duration.ofSeconds(120)));
        Seen<ModelUpdate> resume = awaitRecord(updates,
                u -> u.isTrainingControl() && ModelUpdate.RESUMED.equals(u.status()), "the resumed record");
        assertThat(promotionsAfter(updates, pause.offset())).as("nothing promoted before the resume").isEmpty();
        trafficUntil(Duration.ofSeconds(40), 4, () -> !promotionsAfter(updates, resume.offset()).isEmpty(), updates,
                "a promotion after the resume (not required)");
        figure("phase 3: %d promotion(s) after train resume", promotionsAfter(updates, resume.offset()).size());
    }

    // ---- assertion 1 --------------------------------------------------------------------------------------

    /**
     * Every promotion's test-split nDCG@10 against its parent's (the live model it was compared
     * with). A promotion lowers it when it loses more than the tolerance and the loss is beyond
     * chance: a one-sided paired bootstrap over the test queries puts the chance that the promoted
     * model is not worse above 5 %. With {@value #TEST_QUERIES} test queries, 0.01 is one query's
     * nDCG@10 moving by 0.3, e.g. one relevant document of grade 1 swapping places with an unjudged
     * one a few ranks down: a difference of that size can go either way between two measurements
     * of equal models; what the issue saw (−0.03 and worse, on most test queries) fails.
     */
    private void assertNoPromotionLowersTestNdcg(TopicTail<ModelUpdate> updates, ModelUpdate rolledBack) {
        List<Seen<ModelUpdate>> promoted = promotions(updates);
        List<String> lowered = new ArrayList<>();
        for (Seen<ModelUpdate> p : promoted) {
            ModelUpdate u = p.value();
            if (promotedByTest.contains(u.version())) {
                continue;
            }
            Double own = ndcgByVersion.get(u.version());
            Double parent = ndcgByVersion.get(u.parent());
            assertThat(own).as("nDCG@10 measured for " + u.version()).isNotNull();
            assertThat(parent).as("nDCG@10 measured for " + u.parent() + ", parent of " + u.version()).isNotNull();
            double[] a = perQueryByVersion.get(u.parent());
            double[] b = perQueryByVersion.get(u.version());
            int better = 0;
            int worse = 0;
            for (int i = 0; i < a.length; i++) {
                better += b[i] > a[i] + 1e-9 ? 1 : 0;
                worse += b[i] < a[i] - 1e-9 ? 1 : 0;
            }
            double pNotWorse = pNotWorse(a, b);
            figure("promotion %s (parent %s): test nDCG@10 %.4f -> %.4f (%+.4f); test queries better %d, worse %d, "
                    + "same %d; paired bootstrap p(not worse) %.4f%s", u.version(), u.parent(), parent, own, own - parent,
                    better, worse, a.length - better - worse, pNotWorse,
                    u.version().equals(rolledBack.version()) ? "; rolled back later" : "");
            if (own < parent - NDCG_TOLERANCE && pNotWorse < 0.05) {
                lowered.add(String.format(Locale.ROOT, "%s: %.4f, its parent %s: %.4f", u.version(), own, u.parent(),
                        parent));
            }
        }
        assertThat(lowered).as("promotions that lowered the test split's nDCG@10 by more than " + NDCG_TOLERANCE
                + ", beyond chance").isEmpty();
    }

    /**
     * One-sided paired bootstrap over the test queries (seeded): the share of resamples in which the
     * promoted model's mean nDCG@10 is at least its parent's.
     */
    static double pNotWorse(double[] parent, double[] promoted) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
        int n = parent.length;
        int notWorse = 0;
        int samples = 4000;
        for (int b = 0; b < samples; b++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                int j = rnd.nextInt(n);
                sum += promoted[j] - parent[j];
            }
            if (sum >= -1e-12) {
                notWorse++;
            }
        }
        return (notWorse + 1.0) / (samples + 1.0);
    }

    // ---- phase 4 ------------------------------------------------------------------------------------------

    private void indexerRestart(EmbedloopConfig cfg, ChildProcess index, QdrantProbe probe) throws Exception {
        assertThat(index.stop(Duration.ofSeconds(60))).as("the indexer exits on SIGTERM").isTrue();
        String id = "sep-restart-1";
        try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes())) {
            publisher.publish(id, Json.write(Map.of("id", id, "title", "Restart probe",
                    "text", "Thermal buckling of a honeycomb sandwich panel under a short heat pulse.")));
        }
        ChildProcess again = start("index-2", List.of("index"), "--set", "kafka.state.dir=" + work.resolve("index"),
                "--set", "model.local-store=" + work.resolve("local-index"), "--set", "instance.id=index-0",
                "--stats-interval", "1");
        awaitLog(again, "indexer CREATED -> REBALANCING", Duration.ofSeconds(120));
        long streamsStarted = System.nanoTime();
        Await.until(Duration.ofSeconds(60), () -> countOf(probe, id) > 0, () -> "the document published while the "
                + "indexer was down (log " + again.log() + ")");
        long indexed = System.nanoTime();
        long fromStreams = (indexed - streamsStarted) / 1_000_000;
        long fromLaunch = (indexed - again.launchedNanos()) / 1_000_000;
        figure("phase 4: indexer restart: Kafka Streams start to new document in Qdrant %d ms; process launch to it %d ms",
                fromStreams, fromLaunch);
        assertThat(fromStreams).as("ms from the restarted indexer's Kafka Streams start to the new document in Qdrant")
                .isLessThan(10_000);
    }

    // ---- traffic and measurement -----------------------------------------------------------------------

    /**
     * Rounds of the same train queries (shuffled per round), {@value #SESSIONS} sessions each, until
     * {@code done} or the budget is spent; after every round, measures any new live model.
     */
    private void trafficUntil(Duration budget, int maxRounds, java.util.function.BooleanSupplier done,
            TopicTail<ModelUpdate> updates, String what) {
        long deadline = System.nanoTime() + budget.toNanos();
        int rounds = 0;
        while (!done.getAsBoolean() && rounds < maxRounds && System.nanoTime() < deadline) {
            List<ClickSimulator.SimQuery> order = new ArrayList<>(trainQueries);
            Collections.shuffle(order, new Random(SEED + round));
            round++;
            rounds++;
            long t = System.nanoTime();
            int impressions = 0;
            int clicks = 0;
            // one query at a time, so that a new live model is measured before the next can be promoted
            for (ClickSimulator.SimQuery q : order) {
                ClickSimulator.RoundReport r = users.round(round, List.of(q), SESSIONS);
                impressions += r.impressions();
                clicks += r.clicks();
                measureNewLiveModel(updates);
                if (done.getAsBoolean()) {
                    break;
                }
            }
            System.out.printf(Locale.ROOT, "%straffic round %d (%s): %d searches, %d clicks in %.1f s%n", P, round, what,
                    impressions, clicks, seconds(t));
        }
        // examples of the last round arrive one feedback window later: give the trainer that time too
        long settle = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < settle) {
            measureNewLiveModel(updates);
            pause(Duration.ofMillis(200));
        }
        measureNewLiveModel(updates);
    }

    /** When model-updates has a live model whose nDCG@10 is not measured yet: waits until serve answers with it, measures. */
    private void measureNewLiveModel(TopicTail<ModelUpdate> updates) {
        for (Seen<ModelUpdate> p : promotions(updates)) {
            String v = p.value().version();
            if (!ndcgByVersion.containsKey(v) && isLive(updates, v)) {
                awaitServedVersion(v);
                measure(v, "promoted, parent " + p.value().parent());
            }
        }
    }

    /** Whether {@code version} is the live model: the newest promotion whose latest record still says promoted. */
    private static boolean isLive(TopicTail<ModelUpdate> updates, String version) {
        Map<String, ModelUpdate> latest = new LinkedHashMap<>();
        for (Seen<ModelUpdate> s : updates.all()) {
            if (!s.value().isTrainingControl()) {
                latest.put(s.value().version(), s.value());
            }
        }
        return latest.values().stream().filter(ModelUpdate::promoted)
                .max(java.util.Comparator.comparingLong(ModelUpdate::promotedAt))
                .map(u -> u.version().equals(version)).orElse(false);
    }

    private String awaitServedVersion(String version) {
        Await.until(Duration.ofSeconds(60), () -> version.equals(liveVersionServed()),
                () -> "the search service to answer with " + version + " (answers with " + liveVersionServed() + ")");
        return version;
    }

    private String liveVersionServed() {
        return search.search(testQueries.get(0).text(), 1, "probe").modelVersion();
    }

    /** nDCG@10 (linear gain) over the test queries, through {@code /search}; every page must come from {@code version}. */
    private void measure(String version, String what) {
        double sum = 0;
        int run = ++evalRun;
        double[] perQuery = new double[testQueries.size()];
        for (int i = 0; i < perQuery.length; i++) {
            ClickSimulator.SimQuery q = testQueries.get(i);
            SearchClient.SearchPage page = search.search(q.text(), ClickSimulator.PAGE_SIZE, "eval-" + run + "-" + q.id());
            assertThat(page.modelVersion()).as("model of the page for test query " + q.id()).isEqualTo(version);
            perQuery[i] = Metrics.ndcg(10, page.docIds(), q.judgements(), Metrics.Gain.LINEAR);
            sum += perQuery[i];
        }
        perQueryByVersion.putIfAbsent(version, perQuery);
        double ndcg = sum / testQueries.size();
        // the first figure of a version counts; measuring it again (after a rollback) must agree
        ndcgByVersion.putIfAbsent(version, ndcg);
        // for the note, not asserted: the same figure on the clicked (train) queries tells a gain that
        // generalises from one that memorises them
        double clicked = 0;
        for (ClickSimulator.SimQuery q : trainQueries) {
            SearchClient.SearchPage page = search.search(q.text(), ClickSimulator.PAGE_SIZE, "eval-" + run + "-" + q.id());
            clicked += Metrics.ndcg(10, page.docIds(), q.judgements(), Metrics.Gain.LINEAR);
        }
        figure("test nDCG@10 %.4f (%d queries; the clicked train queries: %.4f) for %s: %s", ndcg, testQueries.size(),
                clicked / trainQueries.size(), version, what);
    }

    // ---- set-up helpers -----------------------------------------------------------------------------------

    /** The train and test queries (seeded choice), their judged documents and some unjudged fillers. */
    private void slice(BeirDataset data) {
        Qrels train = data.qrels("train");
        Qrels test = data.qrels("test");
        Map<String, BeirDataset.Document> byId = new LinkedHashMap<>();
        data.corpus().forEach(d -> byId.put(d.id(), d));
        trainQueries = choose(data, train, TRAIN_QUERIES, 3, 6, byId.keySet(), 1);
        testQueries = choose(data, test, TEST_QUERIES, 3, 8, byId.keySet(), 2);
        Set<String> docs = new LinkedHashSet<>();
        for (ClickSimulator.SimQuery q : trainQueries) {
            docs.addAll(q.judgements().keySet());
        }
        for (ClickSimulator.SimQuery q : testQueries) {
            docs.addAll(q.judgements().keySet());
        }
        List<String> others = new ArrayList<>(byId.keySet());
        others.removeAll(docs);
        Collections.shuffle(others, new Random(SEED));
        docs.addAll(others.subList(0, FILLERS));
        corpusTitles = new LinkedHashMap<>();
        corpusTexts = new LinkedHashMap<>();
        for (String id : docs) {
            BeirDataset.Document d = byId.get(id);
            corpusTitles.put(id, d.title() == null ? "" : d.title());
            corpusTexts.put(id, d.text());
        }
        figure("slice: %d train queries, %d test queries, %d documents", trainQueries.size(), testQueries.size(),
                docs.size());
    }

    private static List<ClickSimulator.SimQuery> choose(BeirDataset data, Qrels qrels, int n, int minRelevant,
            int maxRelevant, Set<String> corpus, long salt) {
        List<String> ids = new ArrayList<>();
        for (String q : qrels.queryIds()) {
            long relevant = qrels.of(q).entrySet().stream().filter(e -> e.getValue() > 0 && corpus.contains(e.getKey()))
                    .count();
            if (data.queries().containsKey(q) && relevant >= minRelevant && relevant <= maxRelevant) {
                ids.add(q);
            }
        }
        Collections.sort(ids);
        Collections.shuffle(ids, new Random(SEED * 31 + salt));
        List<ClickSimulator.SimQuery> out = new ArrayList<>();
        for (String q : ids.subList(0, Math.min(n, ids.size()))) {
            Map<String, Integer> relevant = new LinkedHashMap<>();
            qrels.of(q).forEach((d, g) -> {
                if (g > 0 && corpus.contains(d)) {
                    relevant.put(d, g);
                }
            });
            out.add(new ClickSimulator.SimQuery(q, data.queries().get(q), relevant));
        }
        return out;
    }

    private void publishCorpus(EmbedloopConfig cfg) {
        try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes())) {
            corpusTexts.forEach((id, text) -> publisher.publish(id,
                    Json.write(Map.of("id", id, "title", corpusTitles.get(id), "text", text))));
        }
    }

    private ChildProcess start(String name, List<String> command, String... own) throws IOException {
        List<String> args = new ArrayList<>(shared);
        args.addAll(List.of(own));
        ChildProcess c = launcher.start(name, command, args);
        children.add(c);
        return c;
    }

    private static URI serviceUri(ChildProcess serve) {
        Pattern line = Pattern.compile("search page: (http://\\S+)");
        String[] found = new String[1];
        Await.until(Duration.ofSeconds(120), () -> {
            Matcher m = line.matcher(serve.logText());
            if (m.find()) {
                found[0] = m.group(1);
                return true;
            }
            return !serve.alive();
        }, () -> "the search service to print its address (log " + serve.log() + ")");
        assertThat(found[0]).as("serve's address (log " + serve.log() + ")").isNotNull();
        return URI.create(found[0]);
    }

    /**
     * Lines of {@code child}'s log containing {@code text} logged at or after {@code epochMillis} (the
     * log's lines start with the local time, HH:mm:ss.SSS, of this machine's clock).
     */
    private static long linesAfter(ChildProcess child, String text, long epochMillis) {
        if (epochMillis == Long.MAX_VALUE) {
            return 0;
        }
        java.time.LocalTime from = java.time.Instant.ofEpochMilli(epochMillis).atZone(java.time.ZoneId.systemDefault())
                .toLocalTime();
        return child.logText().lines().filter(l -> l.contains(text) && l.length() > 12)
                .filter(l -> {
                    try {
                        return !java.time.LocalTime.parse(l.substring(0, 12)).isBefore(from);
                    } catch (java.time.format.DateTimeParseException e) {
                        return false;
                    }
                }).count();
    }

    /**
     * Until no training example arrived for two feedback windows and the trainer wrote nothing for
     * 5 s (it prints its counters every second while they change, and every training's end).
     */
    private static void awaitQuiet(TopicTail<TrainingExample> examples, ChildProcess trainer) {
        long[] last = {-1, -1, 0, 0};
        Await.until(Duration.ofSeconds(90), () -> {
            long now = System.nanoTime();
            long n = examples.size();
            long bytes = trainer.logBytes();
            if (n != last[0]) {
                last[0] = n;
                last[2] = now;
            }
            if (bytes != last[1]) {
                last[1] = bytes;
                last[3] = now;
            }
            return now - last[2] >= 6_000_000_000L && now - last[3] >= 5_000_000_000L;
        }, () -> "the trainer to go quiet (log " + trainer.log() + ")");
    }

    private static void awaitLog(ChildProcess child, String text, Duration timeout) {
        Await.until(timeout, () -> child.logContains(text) || !child.alive(),
                () -> "'" + text + "' in " + child.log());
        assertThat(child.alive()).as(child.name() + " runs (log " + child.log() + ")").isTrue();
    }

    private static long distinctDocuments(QdrantProbe probe) {
        try {
            return probe.pointsPerDocument().size();
        } catch (RuntimeException e) {
            return 0; // the collection is not there yet
        }
    }

    private static long countOf(QdrantProbe probe, String docId) {
        try {
            return probe.countOf(docId);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static List<Seen<ModelUpdate>> promotions(TopicTail<ModelUpdate> updates) {
        return updates.all().stream().filter(s -> !s.value().isTrainingControl() && s.value().promoted()).toList();
    }

    /** The latest record of each version; the one under test against the live model, if any. */
    private static Optional<ModelUpdate> underTest(TopicTail<ModelUpdate> updates) {
        Map<String, ModelUpdate> latest = new LinkedHashMap<>();
        for (Seen<ModelUpdate> s : updates.all()) {
            if (!s.value().isTrainingControl()) {
                latest.put(s.value().version(), s.value());
            }
        }
        return latest.values().stream().filter(ModelUpdate::underTest).reduce((a, b) -> b);
    }

    /** The candidate under test now, else the last one abandoned: a model the trainer exported and published. */
    private static Optional<ModelUpdate> lastTested(TopicTail<ModelUpdate> updates) {
        Optional<ModelUpdate> now = underTest(updates);
        if (now.isPresent()) {
            return now;
        }
        Map<String, ModelUpdate> latest = new LinkedHashMap<>();
        for (Seen<ModelUpdate> s : updates.all()) {
            if (!s.value().isTrainingControl()) {
                latest.remove(s.value().version()); // keeps the order of each version's latest record
                latest.put(s.value().version(), s.value());
            }
        }
        return latest.values().stream().filter(u -> ModelUpdate.ABANDONED.equals(u.status())).reduce((a, b) -> b);
    }

    private static List<Seen<ModelUpdate>> promotionsAfter(TopicTail<ModelUpdate> updates, long offset) {
        return promotions(updates).stream().filter(s -> s.offset() > offset).toList();
    }

    private static Seen<ModelUpdate> awaitRecord(TopicTail<ModelUpdate> updates, Predicate<ModelUpdate> match, String what) {
        Await.until(Duration.ofSeconds(30), () -> updates.all().stream().anyMatch(s -> match.test(s.value())),
                () -> what + " on model-updates");
        List<Seen<ModelUpdate>> all = updates.all();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (match.test(all.get(i).value())) {
                return all.get(i);
            }
        }
        throw new AssertionError(what);
    }

    private void figure(String format, Object... args) {
        String line = String.format(Locale.ROOT, format, args);
        figures.add(line);
        System.out.println(P + line);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    // ---- reading topics -----------------------------------------------------------------------------------

    /** A record as read: partition, offset, the record's timestamp and its value. */
    record Seen<T>(int partition, long offset, long timestamp, T value) {}

    /** A value decoder that may throw. */
    interface Decoder<T> {
        T decode(byte[] bytes) throws IOException;
    }

    /**
     * Every record of a topic from the beginning, read committed, by a plain consumer on its own
     * thread (no group): what an operator's tool would see.
     */
    static final class TopicTail<T> implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Decoder<T> decoder;
        private final List<Seen<T>> seen = new ArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;

        TopicTail(Properties kafka, String topic, Decoder<T> decoder) {
            this.decoder = decoder;
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG));
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(16 * 1024 * 1024));
            props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(32 * 1024 * 1024));
            consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            thread = new Thread(this::run, "tail-" + topic);
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            try {
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        if (r.value() == null) {
                            continue;
                        }
                        try {
                            T v = decoder.decode(r.value());
                            synchronized (seen) {
                                seen.add(new Seen<>(r.partition(), r.offset(), r.timestamp(), v));
                            }
                        } catch (IOException | RuntimeException e) {
                            System.out.println(P + "unreadable record " + r.topic() + "-" + r.partition() + "@"
                                    + r.offset() + ": " + e.getClass().getSimpleName());
                        }
                    }
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close(Duration.ofSeconds(5));
            }
        }

        List<Seen<T>> all() {
            synchronized (seen) {
                return List.copyOf(seen);
            }
        }

        int size() {
            synchronized (seen) {
                return seen.size();
            }
        }

        long count(Predicate<Seen<T>> p) {
            return all().stream().filter(p).count();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumer.wakeup();
            thread.join(10_000);
        }
    }
}
