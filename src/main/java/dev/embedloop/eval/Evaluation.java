package dev.embedloop.eval;

import static io.qdrant.client.ConditionFactory.match;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.index.IndexStats;
import dev.embedloop.index.Indexer;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.QdrantSink;
import dev.embedloop.search.Hit;
import dev.embedloop.search.SearchSettings;
import dev.embedloop.search.Searcher;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.grpc.Common.Filter;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One evaluation run over a BEIR data set: get the corpus into the index through the real path
 * (document events on Kafka → indexing topology → Qdrant), run every judged query of a split
 * through {@link Searcher}, score the rankings with {@link Metrics}, optionally simulate users
 * clicking through the search service's HTTP API, and write an {@link EvalReport}.
 *
 * <p>Embedded mode (default): a fresh in-process Kafka broker and Qdrant local mode, an indexer
 * with a temporary state directory and a unique application id, all closed at the end. External
 * mode: the configured Kafka and Qdrant, with the user's own {@code index} process doing the
 * indexing; the run waits until every corpus document has its chunk 0 point (or the count stops
 * moving).
 */
public final class Evaluation {

    private static final Logger LOG = LoggerFactory.getLogger(Evaluation.class);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);
    private static final long POLL_MS = 200;

    private final EvalSettings settings;
    private final PrintStream progress;

    private Evaluation(EvalSettings settings, PrintStream progress) {
        this.settings = settings;
        this.progress = progress;
    }

    /**
     * Runs the evaluation, writes {@link EvalSettings#output()} and returns the report.
     *
     * @param cfg the loaded configuration (embedded mode overrides the addresses, state dir and
     *     application id)
     * @param progress progress lines (stderr in the CLI)
     */
    public static EvalReport run(EmbedloopConfig cfg, EvalSettings settings, PrintStream progress)
            throws IOException, InterruptedException {
        return new Evaluation(settings, progress).run(cfg);
    }

    private EvalReport run(EmbedloopConfig base) throws IOException, InterruptedException {
        BeirDataset data = BeirDataset.load(settings.dataset());
        Qrels qrels = data.qrels(settings.split());
        Qrels clickQrels = settings.clicks() == null ? null : data.qrels(settings.clicks().split());
        List<ClickSimulator.SimQuery> clickQueries = clickQrels == null ? null : simQueries(data, clickQrels);
        if (settings.clicks() != null && settings.clicks().searchUrl() == null && !settings.external()
                && !EmbeddedSearch.wired()) {
            throw new IllegalArgumentException("--simulate-clicks in the embedded mode needs --search-url "
                    + "(the in-process search service is not wired into eval yet)");
        }
        progress.printf(Locale.ROOT, "[eval] %s: %d documents, %d queries, %d judged in split '%s'%n",
                data.dir(), data.corpus().size(), data.queries().size(), qrels.queryIds().size(), settings.split());
        data.repeatedIdNotes().forEach(note -> progress.println("[eval] note: " + note));
        for (Qrels q : clickQrels == null || clickQrels.split().equals(qrels.split()) ? List.of(qrels)
                : List.of(qrels, clickQrels)) {
            if (q.repeatedJudgements() > 0) {
                progress.printf(Locale.ROOT, "[eval] note: %s: %d line(s) judge a pair an earlier line judged; the last"
                        + " grade counts (as in BEIR's loader)%n", data.qrelsFile(q.split()), q.repeatedJudgements());
            }
        }
        EmbedloopConfig cfg = settings.chunking() ? base : base.with(Map.of("chunk.enabled", "false"));
        return settings.external() ? runExternal(cfg, data, qrels, clickQueries)
                : runEmbedded(cfg, data, qrels, clickQueries);
    }

    private EvalReport runEmbedded(EmbedloopConfig base, BeirDataset data, Qrels qrels,
            List<ClickSimulator.SimQuery> clickQueries) throws IOException, InterruptedException {
        Path state = Files.createTempDirectory("embedloop-eval-state");
        progress.println("[eval] starting the embedded Kafka broker and Qdrant local mode");
        try (EmbeddedServices services = EmbeddedServices.start(base, 0, 0, null)) {
            String run = UUID.randomUUID().toString().substring(0, 8);
            EmbedloopConfig cfg = services.configure(base).with(Map.of(
                    "kafka.state.dir", state.toString(),
                    "model.local-store", state.resolve("models-local").toString(),
                    "kafka.application.id", "embedloop-eval-" + run,
                    "feedback.application-id", "embedloop-eval-feedback-" + run,
                    // simulated users click at once: decide each impression's pairs a few seconds later
                    "feedback.window-ms", "5000",
                    "feedback.punctuation-interval-ms", "500",
                    "search.query-ttl-ms", "5000",
                    // every simulated session is another user: keep each of their clicks as an example
                    "feedback.dedup-window-ms", "0"));
            progress.println("[eval] loading model " + cfg.model());
            try (Models models = Models.open(cfg);
                    QdrantClient client = Qdrant.connect(cfg.qdrant());
                    Indexer indexer = Indexer.start(cfg, models, client);
                    Publisher publisher = publisher(cfg)) {
                if (!indexer.awaitRunning(Duration.ofSeconds(60))) {
                    throw new IllegalStateException("the indexer did not reach RUNNING within 60 s (" + indexer.state() + ")");
                }
                long t0 = System.nanoTime();
                long published = publisher.publishFile(data.dir().resolve(BeirDataset.CORPUS), progress);
                EvalReport.Indexing indexing = awaitIndexed(indexer, client, cfg.qdrant(), published, t0);
                URI searchUrl = settings.clicks() == null ? null : settings.clicks().searchUrl();
                if (settings.clicks() != null && searchUrl == null) {
                    try (EmbeddedSearch.Endpoint endpoint = EmbeddedSearch.start(cfg, models, client, progress);
                            RoundTrainer trainer = settings.clicks().train() == null ? null
                                    : EvalTraining.start(cfg.with(Map.of("train.mode", settings.clicks().train(),
                                            "train.model-store", state.resolve("models").toString(),
                                            // rounds are minutes apart here, not hours or days: a promotion
                                            // needs no pause and no examples from the new live model's own pages
                                            // before the next candidate trains
                                            "train.min-promotion-interval-ms", "1",
                                            "train.min-new-examples-between-promotions", "0")), models, progress)) {
                        return measure(cfg, models, client, data, qrels, indexing, clickQueries, endpoint.uri(), endpoint,
                                trainer);
                    }
                }
                return measure(cfg, models, client, data, qrels, indexing, clickQueries, searchUrl, null, null);
            }
        } finally {
            deleteTree(state);
        }
    }

    private EvalReport runExternal(EmbedloopConfig cfg, BeirDataset data, Qrels qrels,
            List<ClickSimulator.SimQuery> clickQueries) throws IOException, InterruptedException {
        if (!settings.chunking()) {
            progress.println("[eval] note: --no-chunking only applies to the embedded indexer; "
                    + "in the external mode your 'index' process decides (chunk.enabled)");
        }
        progress.println("[eval] loading model " + cfg.model());
        try (Models models = Models.open(cfg); QdrantClient client = Qdrant.connect(cfg.qdrant())) {
            long published = 0;
            long t0 = System.nanoTime();
            if (settings.publish()) {
                try (Publisher publisher = publisher(cfg)) {
                    published = publisher.publishFile(data.dir().resolve(BeirDataset.CORPUS), progress);
                }
            }
            EvalReport.Indexing indexing = awaitCollection(client, cfg.qdrant(), data.corpus().size(), published, t0);
            URI searchUrl = settings.clicks() == null ? null
                    : settings.clicks().searchUrl() != null ? settings.clicks().searchUrl()
                    : URI.create("http://localhost:" + SearchSettings.from(cfg).port());
            return measure(cfg, models, client, data, qrels, indexing, clickQueries, searchUrl, null, null);
        }
    }

    /**
     * The prefix of the simulated sessions' ids. On the embedded stack, which every run starts
     * afresh, it follows the seed: the search service draws an impression's interleaving coins from
     * its session id, so a run with the same seed is shown the same pages. Against services that
     * outlive a run, it is unique, so that the sessions of two runs never mix.
     */
    static String runTag(long seed, boolean embedded) {
        return embedded ? "eval-seed" + seed : "eval-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Publisher publisher(EmbedloopConfig cfg) {
        return new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes());
    }

    /** Searching, scoring, clicks (and training between rounds), report: the same for both modes. */
    private EvalReport measure(EmbedloopConfig cfg, Models models, QdrantClient client, BeirDataset data, Qrels qrels,
            EvalReport.Indexing indexing, List<ClickSimulator.SimQuery> clickQueries, URI searchUrl,
            EmbeddedSearch.Endpoint endpoint, RoundTrainer trainer) throws IOException, InterruptedException {
        try (Searcher searcher = Searcher.following(cfg, models.encoder(), models.encoderOptions(), client)) {
            return measure(cfg, models, searcher, data, qrels, indexing, clickQueries, searchUrl, endpoint, trainer);
        }
    }

    private EvalReport measure(EmbedloopConfig cfg, Models models, Searcher searcher, BeirDataset data, Qrels qrels,
            EvalReport.Indexing indexing, List<ClickSimulator.SimQuery> clickQueries, URI searchUrl,
            EmbeddedSearch.Endpoint endpoint, RoundTrainer trainer) throws IOException, InterruptedException {
        Map<String, String> queries = evaluatedQueries(data, qrels);
        long t0 = System.nanoTime();
        List<Metrics.QueryScores> scores = scoreWith(queries, qrels, depth -> query -> searcher.search(query, depth),
                progress);
        double searchSeconds = (System.nanoTime() - t0) / 1e9;
        Metrics.Summary summary = Metrics.average(settings.cutoff(), EvalSettings.RECALL_DEPTH, scores);

        EvalReport.Clicks clicks = null;
        List<EvalReport.TrainingRound> training = null;
        if (settings.clicks() != null) {
            EvalSettings.Clicks c = settings.clicks();
            progress.printf(Locale.ROOT, "[clicks] %d rounds x %d %s queries x %d sessions via %s%s%n",
                    c.rounds(), clickQueries.size(), c.split(), c.sessions(), searchUrl,
                    trainer == null ? "" : ", training (" + c.train() + ") between session passes and after each round");
            ClickSimulator simulator = new ClickSimulator(new SearchClient(searchUrl, cfg.qdrant().timeout()), c.model(),
                    c.seed(), runTag(c.seed(), endpoint != null), progress);
            List<ClickSimulator.RoundReport> rounds = new ArrayList<>();
            if (trainer != null) {
                training = new ArrayList<>();
                progress.printf(Locale.ROOT, "[train] before round 1: nDCG@%d %.4f (exp %.4f), model %s%n",
                        settings.cutoff(), summary.ndcg(), summary.ndcgExp(), searcher.modelVersion());
            }
            for (int round = 1; round <= c.rounds(); round++) {
                int current = round;
                List<EvalReport.Step> steps = new ArrayList<>();
                ClickSimulator.RoundReport r = simulator.round(round, clickQueries, c.sessions(), session -> {
                    if (trainer != null && session < c.sessions()) {
                        EvalReport.Step step = stepAfterSession(session, endpoint, trainer, searcher, queries, qrels);
                        if (step != null) {
                            steps.add(step);
                            progress.println("[train] " + step.describe(current, settings.cutoff()));
                        }
                    }
                });
                rounds.add(r);
                progress.println("[clicks] " + r.describe());
                if (trainer != null) {
                    training.add(trainRound(round, endpoint, trainer, searcher, queries, qrels, c.train(), steps));
                    progress.println("[train] " + training.get(training.size() - 1).describe(settings.cutoff()));
                }
            }
            clicks = new EvalReport.Clicks(c.split(), clickQueries.size(), c.sessions(), c.eta(), c.dwellMs(), c.seed(),
                    searchUrl.toString(), rounds);
        }

        Map<String, Map<String, Double>> perQuery = new LinkedHashMap<>();
        for (Metrics.QueryScores s : scores) {
            perQuery.put(s.queryId(), EvalReport.metricsOf(settings.cutoff(), EvalSettings.RECALL_DEPTH, s));
        }
        EvalReport report = new EvalReport(
                data.dir().toString(), settings.split(), settings.external() ? "external" : "embedded",
                cfg.model(), models.encoder().model().version(), cfg.chunking().enabled(), cfg.chunking().overlapTokens(),
                data.corpus().size(), qrels.queryIds().size(), scores.size(),
                EvalReport.metricsOf(summary), indexing,
                new EvalReport.Search(scores.size(), settings.depth(), settings.ignoreIdenticalIds(), searchSeconds,
                        searchSeconds > 0 ? scores.size() / searchSeconds : 0),
                clicks, training, perQuery);
        report.write(settings.output());
        LOG.info("evaluation written to {}", settings.output());
        return report;
    }

    /**
     * Between two session passes of a round, what the running trainer would have done by then: lets
     * the feedback topology finish, lets the online gate decide the candidate under test on the
     * interleaved pages so far, and trains if {@code train.every-examples} new examples have arrived
     * (held while a candidate is under test). A candidate trained here is tested by the round's
     * later sessions; deciding only between rounds would leave each candidate untested until the
     * round after its training.
     *
     * @return the step, or null when the gate did not conclude and no candidate was trained
     */
    private EvalReport.Step stepAfterSession(int session, EmbeddedSearch.Endpoint endpoint, RoundTrainer trainer,
            Searcher searcher, Map<String, String> queries, Qrels qrels) throws InterruptedException {
        endpoint.settle();
        RoundTrainer.Online online;
        RoundTrainer.Outcome trained;
        String superseded;
        try {
            online = trainer.decideOnline();
            String testedBefore = trainer.underTest();
            trained = trainer.trainIfDue();
            superseded = testedBefore != null && trained != null && !testedBefore.equals(trainer.underTest())
                    ? testedBefore : null;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("training after session " + session + " failed: " + e.getMessage(), e);
        }
        boolean concluded = online != null && !"continue".equals(online.verdict());
        boolean didTrain = trained != null && !"held".equals(trained.status()) && !"no_examples".equals(trained.status());
        if (!concluded && !didTrain) {
            return null;
        }
        boolean swapped = concluded && "promote".equals(online.verdict()) || didTrain && trained.promoted();
        String live = trainer.liveVersion();
        Map<String, Double> metrics = null;
        if (swapped) {
            awaitServedBy(live, searcher, queries.values().iterator().next());
            metrics = EvalReport.metricsOf(score(searcher, queries, qrels));
        }
        return new EvalReport.Step(session, concluded ? EvalReport.Online.of(online) : null, superseded,
                didTrain ? trained.status() : null, didTrain ? trained.candidate() : null,
                didTrain ? trained.examples() : 0, didTrain ? trained.reason() : null,
                didTrain ? trained.seconds() : 0, live, metrics);
    }

    /**
     * After a click round: lets the feedback topology finish, lets the online gate decide the
     * candidate that was under test during the round (its users saw interleaved pages), trains once,
     * waits until searches are answered by the model the trainer left live, and scores the
     * evaluation split again.
     */
    private EvalReport.TrainingRound trainRound(int round, EmbeddedSearch.Endpoint endpoint, RoundTrainer trainer,
            Searcher searcher, Map<String, String> queries, Qrels qrels, String mode, List<EvalReport.Step> steps)
            throws InterruptedException {
        endpoint.settle();
        RoundTrainer.Online online;
        RoundTrainer.Outcome outcome;
        try {
            online = trainer.decideOnline();
            outcome = trainer.trainNow();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("training after round " + round + " failed: " + e.getMessage(), e);
        }
        boolean swapped = outcome.promoted() || online != null && "promote".equals(online.verdict());
        String probe = queries.values().iterator().next();
        double swapSeconds = awaitServedBy(outcome.version(), searcher, probe);
        Metrics.Summary summary = score(searcher, queries, qrels);
        return new EvalReport.TrainingRound(round, outcome.examples(), outcome.promoted(), outcome.version(), mode,
                outcome.liveMrr(), outcome.candidateMrr(), outcome.seconds(), swapped ? swapSeconds : 0,
                outcome.reason(), EvalReport.metricsOf(summary), outcome.status(), outcome.candidate(),
                EvalReport.Online.of(online), candidateMetrics(trainer.underTest(), searcher, probe, queries, qrels),
                steps);
    }

    /** Waits until searches are answered by {@code version} (a promotion's swap); returns the seconds it took. */
    private double awaitServedBy(String version, Searcher searcher, String probe) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + settings.indexTimeout().toNanos();
        while (!searcher.answer(probe, 1).modelVersion().equals(version)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("searches were not answered by " + version + " within "
                        + settings.indexTimeout().toSeconds() + " s of its promotion");
            }
            Thread.sleep(50); // polling the search service with a deadline
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The evaluation split searched with the live model. */
    private Metrics.Summary score(Searcher searcher, Map<String, String> queries, Qrels qrels) {
        List<Metrics.QueryScores> scores = scoreWith(queries, qrels, depth -> query -> searcher.search(query, depth), null);
        return Metrics.average(settings.cutoff(), EvalSettings.RECALL_DEPTH, scores);
    }

    /**
     * The evaluation split searched with the candidate under test ({@code underTest}), once the
     * search service sees it and its collection is ready (a symmetric candidate's shadow fill;
     * waited for up to the index timeout), or null when none is under test. A diagnostic for the
     * report: what promoting it would give.
     */
    private Map<String, Double> candidateMetrics(String underTest, Searcher searcher, String probe,
            Map<String, String> queries, Qrels qrels) throws InterruptedException {
        if (underTest == null) {
            return null;
        }
        long deadline = System.nanoTime() + settings.indexTimeout().toNanos();
        while (!searcher.models().lineage().underTest().map(u -> u.version().equals(underTest)).orElse(false)
                || searcher.searchCandidate(probe, 1).isEmpty()) {
            if (System.nanoTime() > deadline) {
                return null;
            }
            Thread.sleep(50); // polling the search service (and a shadow fill) with a deadline
        }
        List<Metrics.QueryScores> scores = scoreWith(queries, qrels,
                depth -> query -> searcher.searchCandidate(query, depth).orElse(List.of()), null);
        return EvalReport.metricsOf(Metrics.average(settings.cutoff(), EvalSettings.RECALL_DEPTH, scores));
    }

    /**
     * The queries to evaluate: judged in the split and present in {@code queries.jsonl}, in the
     * order of the judgement file. Judged queries without text are skipped (BEIR does the same).
     */
    static Map<String, String> evaluatedQueries(BeirDataset data, Qrels qrels) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String id : qrels.queryIds()) {
            String text = data.queries().get(id);
            if (text != null) {
                out.put(id, text);
            }
        }
        return out;
    }

    static List<ClickSimulator.SimQuery> simQueries(BeirDataset data, Qrels qrels) {
        List<ClickSimulator.SimQuery> out = new ArrayList<>();
        evaluatedQueries(data, qrels).forEach((id, text) -> out.add(new ClickSimulator.SimQuery(id, text, qrels.of(id))));
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no query of split '" + qrels.split() + "' has a text in "
                    + BeirDataset.QUERIES + ": nothing to simulate clicks on");
        }
        return out;
    }

    /**
     * {@link #scoreQueries} with this evaluation's settings: {@code search} is given the depth to
     * fetch ({@link EvalSettings#searchDepth()}) and returns the hits of a query.
     */
    private List<Metrics.QueryScores> scoreWith(Map<String, String> queries, Qrels qrels,
            IntFunction<Function<String, List<Hit>>> search, PrintStream progress) {
        Function<String, List<Hit>> atDepth = search.apply(settings.searchDepth());
        return scoreQueries(queries, qrels, settings.cutoff(), settings.depth(), settings.ignoreIdenticalIds(),
                query -> toScored(atDepth.apply(query)), progress);
    }

    /**
     * Runs every query through {@code search} and scores its ranking to {@code depth}, without the
     * query's own id when {@code ignoreIdenticalIds}; pure apart from the search function, so it can
     * be tested with a fake one.
     */
    static List<Metrics.QueryScores> scoreQueries(Map<String, String> queries, Qrels qrels, int cutoff, int depth,
            boolean ignoreIdenticalIds, Function<String, List<Metrics.Scored>> search, PrintStream progress) {
        List<Metrics.QueryScores> scores = new ArrayList<>(queries.size());
        long lastPrint = System.nanoTime();
        int done = 0;
        int ownIdFirst = 0;
        for (Map.Entry<String, String> q : queries.entrySet()) {
            List<String> ranking = Metrics.rank(search.apply(q.getValue()));
            if (!ranking.isEmpty() && ranking.get(0).equals(q.getKey())) {
                ownIdFirst++;
            }
            if (ignoreIdenticalIds) {
                ranking = ranking.stream().filter(id -> !id.equals(q.getKey())).toList();
            }
            if (ranking.size() > depth) {
                ranking = ranking.subList(0, depth);
            }
            scores.add(Metrics.score(q.getKey(), cutoff, EvalSettings.RECALL_DEPTH, ranking, qrels.of(q.getKey())));
            done++;
            if (progress != null && System.nanoTime() - lastPrint > PROGRESS_EVERY.toNanos()) {
                progress.printf(Locale.ROOT, "[search] %d/%d queries%n", done, queries.size());
                lastPrint = System.nanoTime();
            }
        }
        if (progress != null && !ignoreIdenticalIds && ownIdFirst * 2 > queries.size()) {
            progress.printf(Locale.ROOT, "[search] note: in %d of %d queries the top result is the document with the"
                    + " query's own id: the queries are corpus documents too (as in ArguAna and Quora), and BEIR and"
                    + " MTEB leave that document out (--ignore-identical-ids)%n", ownIdFirst, queries.size());
        }
        return scores;
    }

    private static List<Metrics.Scored> toScored(List<Hit> hits) {
        List<Metrics.Scored> out = new ArrayList<>(hits.size());
        for (Hit h : hits) {
            out.add(new Metrics.Scored(h.docId(), h.score()));
        }
        return out;
    }

    /** Documents in the collection behind {@code q}'s alias, each counted by its chunk 0 point. */
    private static long countDocuments(QdrantClient client, EmbedloopConfig.Qdrant q) {
        Filter firstChunks = Filter.newBuilder().addMust(match(QdrantSink.CHUNK, 0)).build();
        return Qdrant.await(client.countAsync(q.collection(), firstChunks, true, q.timeout()), q.timeout(),
                "count " + q.collection());
    }

    /**
     * Embedded mode: the indexer's own counters say when every published document is through; the
     * documents in the index are then counted by their chunk 0 point (a repeated id is indexed twice
     * but is one document).
     */
    private EvalReport.Indexing awaitIndexed(Indexer indexer, QdrantClient client, EmbedloopConfig.Qdrant q,
            long published, long t0) throws InterruptedException {
        IndexStats stats = indexer.stats();
        long deadline = t0 + settings.indexTimeout().toNanos();
        long lastPrint = System.nanoTime();
        // every published record ends indexed, skipped (a repeated id with the same content) or dead-lettered
        while (stats.accounted() < published) {
            if (indexer.stopped()) {
                throw new IllegalStateException("the indexer stopped (" + indexer.state() + "); see the log. " + stats);
            }
            long now = System.nanoTime();
            if (now > deadline) {
                throw new IllegalStateException("indexing did not catch up within " + settings.indexTimeout().toSeconds()
                        + " s (--timeout): " + stats);
            }
            if (now - lastPrint > PROGRESS_EVERY.toNanos()) {
                printRate("[index]", stats.accounted(), published, now - t0);
                lastPrint = now;
            }
            Thread.sleep(POLL_MS); // polling the counters; the deadline above bounds the wait
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        progress.printf(Locale.ROOT, "[index] caught up: %s (%.1f s)%n", stats, seconds);
        long documents = countDocuments(client, q);
        return new EvalReport.Indexing(published, documents, stats.deadLettered(), stats.chunksWritten(), seconds,
                seconds > 0 ? stats.indexed() / seconds : null);
    }

    /**
     * External mode: counts documents by their chunk 0 point in the collection alias until every
     * corpus document is there, or the count has been stable for {@link EvalSettings#settle()}.
     */
    private EvalReport.Indexing awaitCollection(QdrantClient client, EmbedloopConfig.Qdrant q, long corpusSize,
            long published, long t0) throws InterruptedException {
        long deadline = t0 + settings.indexTimeout().toNanos();
        long lastPrint = System.nanoTime();
        long first = -1;
        long count = -1;
        long changedAt = System.nanoTime();
        String lastError = null;
        while (true) {
            long now;
            try {
                long c = countDocuments(client, q);
                now = System.nanoTime();
                if (first < 0) {
                    first = c;
                }
                if (c != count) {
                    count = c;
                    changedAt = now;
                }
                lastError = null;
            } catch (RuntimeException e) {
                now = System.nanoTime();
                lastError = e.getMessage(); // the alias may not exist until the indexer has bootstrapped it
            }
            if (count >= corpusSize) {
                break;
            }
            if (count > 0 && now - changedAt > settings.settle().toNanos()) {
                progress.printf(Locale.ROOT, "[index] the count has stayed at %d of %d documents for %d s: going on%n",
                        count, corpusSize, settings.settle().toSeconds());
                break;
            }
            if (now > deadline) {
                throw new IllegalStateException("collection " + q.collection() + " did not fill within "
                        + settings.indexTimeout().toSeconds() + " s (--timeout): " + Math.max(count, 0) + " of " + corpusSize
                        + " documents" + (lastError == null ? "" : "; last error: " + lastError)
                        + ". Is 'embedloop index' running against the same Kafka and Qdrant?");
            }
            if (now - lastPrint > PROGRESS_EVERY.toNanos()) {
                printRate("[index]", Math.max(count, 0), corpusSize, now - t0);
                lastPrint = now;
            }
            Thread.sleep(POLL_MS); // polling Qdrant; the deadline above bounds the wait
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long grown = count - Math.max(first, 0);
        progress.printf(Locale.ROOT, "[index] %d of %d documents in %s (%.1f s)%n", count, corpusSize, q.collection(), seconds);
        return new EvalReport.Indexing(published, count, null, null, seconds,
                grown > 0 && seconds > 0 ? grown / seconds : null);
    }

    private void printRate(String tag, long done, long total, long elapsedNanos) {
        double seconds = elapsedNanos / 1e9;
        double rate = seconds > 0 ? done / seconds : 0;
        String eta = rate > 0 ? String.format(Locale.ROOT, ", about %.0f s left", (total - done) / rate) : "";
        progress.printf(Locale.ROOT, "%s %d/%d documents, %.1f docs/s%s%n", tag, done, total, rate, eta);
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; what is left is the OS's to clean
        }
    }
}
