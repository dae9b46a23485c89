package dev.embedloop.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.events.InterleavingOutcome;
import dev.embedloop.events.Json;
import dev.embedloop.events.JsonSerde;
import dev.embedloop.events.Queries;
import dev.embedloop.events.TrainingExample;
import dev.embedloop.kafka.KafkaClients;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.lineage.ModelUpdatesFollower;
import dev.embedloop.metrics.Meters;
import dev.embedloop.model.AdapterMode;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code train} process: consumes {@code training-pairs}, keeps the most recent
 * {@code train.window-examples} examples, and every {@code train.every-examples} new examples (or
 * every {@code train.interval-ms} when at least one is new) trains a candidate with
 * {@link Trainer}, gates it and, when the gate says so, exports it to the model store, publishes it
 * on {@code model-updates} and waits until its own {@link ModelUpdatesFollower} sees it live.
 *
 * <p><b>Online phase</b> ({@code train.online-gate}). A candidate that passes the offline gate,
 * then only a safety check ({@link Gate#screen}: not worse on the held-out queries), is exported
 * and published {@code under_test} instead of {@code promoted}; search
 * services interleave it with the live model, the feedback topology writes one interleaving
 * outcome per interleaved impression with clicks, and this service reads them (from the beginning
 * of {@code topics.interleaving-outcomes}, so a restart recounts), asks {@link OnlineGate} and
 * publishes the candidate {@code promoted} or {@code abandoned}. No other candidate is trained
 * meanwhile. A query-only candidate is interleaved at once (it searches the live collection); a
 * symmetric one once the indexers have filled its shadow collection {@code <alias>__<version>}
 * from stored base vectors, which then becomes live without a second copy if it is promoted.
 *
 * <p><b>Offsets.</b> The consumer is assigned every partition of the topic (one trainer per
 * deployment) under the group {@code train.group-id}, whose committed offsets mean "trained up to
 * here". At start it re-reads each partition from {@code max(start, end − window)} to refill the
 * window; examples below the committed offset are kept but do not count as new, so a restart
 * neither forgets the window nor retrains at once on examples that were already trained on. Reads
 * are {@code read_committed} (the feedback topology writes exactly-once).
 *
 * <p><b>Threads.</b> {@link #startLoop()} runs the loop on one daemon thread; {@link #trainNow()}
 * may be called from any thread, with or without the loop: one lock serialises every use of the
 * consumer and every training.
 *
 * <p><b>Errors are values.</b> An unreadable record is logged (topic, partition, offset) and
 * skipped; a failed export or publication is an {@link Outcome} with status {@link Status#FAILED}
 * and the loop carries on. Logs carry counts and metrics, never texts.
 */
public final class TrainerService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainerService.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration LIVE_TIMEOUT = Duration.ofSeconds(60);

    /** What one training did. */
    public enum Status {
        /** The candidate won the gate and is live. */
        PROMOTED,
        /**
         * The candidate passed the offline screen and is {@code under_test}: searches interleave it with
         * the live model until the online gate promotes or abandons it ({@code train.online-gate}).
         */
        UNDER_TEST,
        /** The candidate did not win the gate; the live model stays. */
        REJECTED,
        /** Nothing to train on. */
        NO_EXAMPLES,
        /** Training, export, verification or publication failed; the live model stays. */
        FAILED,
        /**
         * Not trained: promotions are paused ({@code train pause}), a rollback has not seen enough new
         * feedback yet, or the last promotion is too recent (time or new examples); the examples stay
         * in the window for the next training.
         */
        HELD
    }

    /**
     * What one training did.
     *
     * @param status what happened
     * @param version the promoted (or under-test) model's version, else null
     * @param path the promoted (or under-test) model's directory, else null
     * @param parent the live model the candidate was compared with
     * @param mode the candidate's mode
     * @param live the live model's gate metrics (null when nothing was trained)
     * @param candidate the candidate's gate metrics (null when nothing was trained)
     * @param improvement candidate MRR minus live MRR (NaN when nothing was trained)
     * @param pValue the gate's paired-bootstrap p (NaN when not computed)
     * @param reason the gate's verdict or the failure
     * @param examples examples in the window (train + held out)
     * @param trainExamples examples trained on
     * @param holdoutExamples examples held out
     * @param trainMillis time in the optimiser
     * @param totalMillis the whole training: embeddings, optimiser, gate, export, publication
     */
    public record Outcome(Status status, String version, String path, String parent, AdapterMode mode,
            Gate.Metrics live, Gate.Metrics candidate, double improvement, double pValue, String reason, int examples,
            int trainExamples, int holdoutExamples, long trainMillis, long totalMillis) {

        public Outcome {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(reason, "reason");
        }

        public boolean promoted() {
            return status == Status.PROMOTED;
        }

        /** One line for logs and the console: counts and metrics only. */
        public String summary() {
            StringBuilder sb = new StringBuilder(status.name().toLowerCase(Locale.ROOT));
            if (version != null) {
                sb.append(' ').append(version);
            }
            sb.append(" examples=").append(examples);
            if (live != null && candidate != null) {
                sb.append(String.format(Locale.ROOT, " MRR live %.4f candidate %.4f", live.mrr(), candidate.mrr()));
            }
            sb.append(" in ").append(totalMillis).append(" ms");
            return sb.toString();
        }
    }

    private final TrainSettings settings;
    private final Properties kafka;
    private final Trainer trainer;
    private final EmbeddingCache cache;
    private final ModelUpdatesFollower follower;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Deserializer<TrainingExample> deserializer = JsonSerde.of(TrainingExample.class).deserializer();
    private final Deserializer<InterleavingOutcome> outcomeDeserializer =
            JsonSerde.of(InterleavingOutcome.class).deserializer();
    /** Reads interleaving outcomes from the beginning (no group): null without an online phase. */
    private final KafkaConsumer<byte[], byte[]> outcomes;
    private final OnlineGate onlineGate;
    private OnlineComparison comparison;
    private volatile OnlineGate.Decision lastOnlineDecision;
    private final TrainingWindow window;
    private final Map<TopicPartition, Long> trainedUpTo = new HashMap<>();
    private final TrainerStats stats;
    private final ReentrantLock lock = new ReentrantLock(true);
    private volatile boolean running = true;
    private volatile boolean failed;
    private Thread loop;
    private long lastTraining = System.nanoTime();

    private TrainerService(EmbedloopConfig cfg, TextEncoder baseEncoder, ModelDirectory base, MeterRegistry registry)
            throws IOException {
        this.stats = new TrainerStats(registry);
        this.settings = TrainSettings.from(cfg);
        this.kafka = cfg.kafkaProperties();
        List<NewTopic> topics = new ArrayList<>(KafkaTopics.feedbackTopics(cfg));
        topics.addAll(KafkaTopics.modelTopics(cfg));
        KafkaTopics.ensure(cfg.kafkaProperties(), topics);
        this.window = new TrainingWindow(settings.windowExamples());
        this.cache = EmbeddingCache.open(settings.modelStore().resolve("cache"), baseEncoder);
        ModelUpdatesFollower f = null;
        KafkaConsumer<byte[], byte[]> c = null;
        KafkaConsumer<byte[], byte[]> o = null;
        try {
            this.trainer = new Trainer(settings, base, cache);
            f = ModelUpdatesFollower.startCaughtUp(kafka, settings.modelUpdatesTopic(), base.descriptor().version(),
                    Duration.ofSeconds(60));
            f.addListener(stats::lineage);
            stats.lineage(f.lineage());
            c = new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            this.follower = f;
            this.consumer = c;
            assignAndRewind();
            this.onlineGate = settings.online().enabled() ? new OnlineGate(settings.online().gate()) : null;
            if (settings.online().enabled()) {
                o = new KafkaConsumer<>(outcomesConsumerProperties(), new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
                assignFromBeginning(o, settings.online().outcomesTopic());
            }
            this.outcomes = o;
        } catch (RuntimeException e) {
            if (o != null) {
                o.close(Duration.ofSeconds(5));
            }
            if (c != null) {
                c.close(Duration.ofSeconds(5));
            }
            if (f != null) {
                f.close();
            }
            cache.close();
            throw e;
        }
    }

    /**
     * Creates the service without starting the loop (for {@link #trainNow()} from eval and tests):
     * creates missing topics, opens the embedding cache, reads model-updates, assigns the
     * training-pairs partitions and refills the window on the first poll.
     *
     * @param baseEncoder the frozen base model's encoder (shared with the caller, not closed here)
     * @param base the frozen base model's directory
     */
    public static TrainerService create(EmbedloopConfig cfg, TextEncoder baseEncoder, ModelDirectory base)
            throws IOException {
        return new TrainerService(cfg, baseEncoder, base, Meters.detached());
    }

    /** {@link #create(EmbedloopConfig, TextEncoder, ModelDirectory)} with its meters in {@code registry}. */
    static TrainerService create(EmbedloopConfig cfg, TextEncoder baseEncoder, ModelDirectory base,
            MeterRegistry registry) throws IOException {
        return new TrainerService(cfg, baseEncoder, base, registry);
    }

    /** {@link #start(EmbedloopConfig, TextEncoder, ModelDirectory)} with its meters in {@code registry}. */
    public static TrainerService start(EmbedloopConfig cfg, TextEncoder baseEncoder, ModelDirectory base,
            MeterRegistry registry) throws IOException {
        TrainerService service = new TrainerService(cfg, baseEncoder, base, registry);
        service.startLoop();
        return service;
    }

    /** The consumer of training examples, for metrics binders only (not thread-safe: read its metrics only). */
    public org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer() {
        return consumer;
    }

    /** {@link #create} and {@link #startLoop()}. */
    public static TrainerService start(EmbedloopConfig cfg, TextEncoder baseEncoder, ModelDirectory base)
            throws IOException {
        TrainerService service = create(cfg, baseEncoder, base);
        service.startLoop();
        return service;
    }

    /** Starts consuming and training on a daemon thread. */
    public synchronized void startLoop() {
        if (loop != null) {
            return;
        }
        loop = new Thread(this::run, "trainer");
        loop.setDaemon(true);
        loop.start();
        LOG.info("trainer started: mode {}, every {} examples or {} ms, window {}, model store {}",
                TrainSettings.modeName(settings.mode()), settings.everyExamples(), settings.interval().toMillis(),
                settings.windowExamples(), settings.modelStore());
    }

    /**
     * Consumes every training example up to the current end of the topic, then trains, gates and
     * (when the gate says so) exports and publishes once, whatever the triggers say.
     */
    public Outcome trainNow() {
        lock.lock();
        try {
            catchUp();
            return trainOnce();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Consumes every training example up to the current end of the topic, then trains (gates,
     * publishes) once if the loop's count trigger is due: at least {@code train.every-examples}
     * examples arrived since the last training (or held one). The time trigger is left out, so a
     * caller stepping through simulated traffic gets the same trainings however fast it runs.
     *
     * @return the training's outcome, or empty when it was not due
     */
    public java.util.Optional<Outcome> trainIfDue() {
        lock.lock();
        try {
            catchUp();
            return window.fresh() >= settings.everyExamples() ? java.util.Optional.of(trainOnce())
                    : java.util.Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads every interleaving outcome up to the current end of the topic and asks the online gate
     * about the candidate under test, once: promotes it (status {@code promoted}) on a significant
     * win, abandons it ({@code abandoned}) on a significant loss or a spent budget, and waits until
     * its own follower sees that. Empty when there is no online phase or no candidate under test.
     */
    public java.util.Optional<OnlineGate.Decision> decideOnlineNow() {
        if (outcomes == null) {
            return java.util.Optional.empty();
        }
        lock.lock();
        try {
            Map<TopicPartition, Long> end = outcomes.endOffsets(outcomes.assignment());
            long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
            java.util.Optional<OnlineGate.Decision> d = decideOnline(Duration.ofMillis(100));
            while (behind(outcomes, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + settings.online().outcomesTopic() + " up to "
                            + end + " within " + CATCH_UP_TIMEOUT.toSeconds() + " s");
                }
                // a candidate concluded on an earlier step is not under test any more: keep that decision
                java.util.Optional<OnlineGate.Decision> next = decideOnline(Duration.ofMillis(100));
                d = next.isPresent() ? next : d;
            }
            return d;
        } finally {
            lock.unlock();
        }
    }

    /** The online gate's last decision (null before the first candidate under test). */
    public OnlineGate.Decision lastOnlineDecision() {
        return lastOnlineDecision;
    }

    public TrainerStats stats() {
        return stats;
    }

    /** The model lineage as the trainer's follower last saw it. */
    public ModelLineage lineage() {
        return follower.lineage();
    }

    public EmbeddingCache cache() {
        return cache;
    }

    /** Whether the loop died of an error. */
    public boolean stopped() {
        return failed;
    }

    private void run() {
        try {
            while (running) {
                lock.lock();
                try {
                    poll(POLL);
                    if (outcomes != null) {
                        try {
                            decideOnline(Duration.ofMillis(50));
                        } catch (WakeupException e) {
                            throw e;
                        } catch (RuntimeException e) {
                            // like a failed promotion: logged, the candidate stays under test, tried again
                            LOG.error("online decision failed: {}", e.toString(), e);
                        }
                    }
                    if (due()) {
                        trainOnce();
                    }
                } finally {
                    lock.unlock();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            if (running) {
                failed = true;
                LOG.error("trainer loop stopped", e);
            }
        }
    }

    private boolean due() {
        long fresh = window.fresh();
        if (fresh >= settings.everyExamples()) {
            return true;
        }
        return fresh > 0 && System.nanoTime() - lastTraining >= settings.interval().toNanos();
    }

    private void assignAndRewind() {
        List<PartitionInfo> infos = consumer.partitionsFor(settings.trainingPairsTopic(), Duration.ofSeconds(60));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + settings.trainingPairsTopic() + " has no partitions");
        }
        List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        consumer.assign(parts);
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(parts);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts);
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new java.util.HashSet<>(parts));
        for (TopicPartition tp : parts) {
            long b = begin.get(tp);
            long e = end.get(tp);
            OffsetAndMetadata c = committed.get(tp);
            trainedUpTo.put(tp, c == null ? b : c.offset());
            consumer.seek(tp, Math.max(b, e - settings.windowExamples()));
        }
        LOG.info("training-pairs {}: {} partitions, refilling the window from the last {} examples of each",
                settings.trainingPairsTopic(), parts.size(), settings.windowExamples());
    }

    private void poll(Duration timeout) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
            if (r.value() == null) {
                continue;
            }
            TrainingExample example;
            try {
                example = deserializer.deserialize(r.topic(), r.value());
            } catch (RuntimeException e) {
                stats.unreadable();
                LOG.warn("skipping unreadable training example {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                        e.getClass().getSimpleName());
                continue;
            }
            boolean isNew = r.offset() >= trainedUpTo.getOrDefault(new TopicPartition(r.topic(), r.partition()), 0L);
            window.add(new TrainingWindow.Entry(example, r.partition(), r.offset()), isNew);
            stats.consumed();
        }
        stats.window(window.size());
    }

    private void catchUp() {
        long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
        while (behind(end)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + settings.trainingPairsTopic() + " up to " + end
                        + " within " + CATCH_UP_TIMEOUT.toSeconds() + " s");
            }
            poll(Duration.ofMillis(100));
        }
    }

    private boolean behind(Map<TopicPartition, Long> end) {
        return behind(consumer, end);
    }

    private static boolean behind(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return true;
            }
        }
        return false;
    }

    private Outcome trainOnce() {
        long t0 = System.nanoTime();
        List<TrainingWindow.Entry> entries = window.snapshot();
        ModelLineage lineage = follower.lineage();
        if (entries.isEmpty()) {
            Outcome o = new Outcome(Status.NO_EXAMPLES, null, null, lineage.liveVersion(), settings.mode(), null, null,
                    Double.NaN, Double.NaN, "no training examples yet", 0, 0, 0, 0, 0);
            stats.outcome(o);
            return o;
        }
        // an operator's pause (and a rollback) is the reason to report first: it holds whatever else is going on
        java.util.Optional<String> promotionHold = holdReason(entries, lineage, settings.promotion(),
                System.currentTimeMillis());
        if (promotionHold.isEmpty() && supersede(entries, lineage)) {
            lineage = follower.lineage();
        }
        ModelLineage current = lineage;
        java.util.Optional<String> hold = promotionHold.or(() -> underTestHold(current, settings.online().enabled()));
        if (hold.isPresent()) {
            // not trained: the examples stay in the window (and uncommitted); the next trigger looks again
            window.markTrained();
            lastTraining = System.nanoTime();
            Outcome o = new Outcome(Status.HELD, null, null, lineage.liveVersion(), settings.mode(), null, null,
                    Double.NaN, Double.NaN, hold.get(), entries.size(), 0, 0, 0, millis(t0));
            stats.outcome(o);
            LOG.info("training held: {}", hold.get());
            return o;
        }
        // whatever happens next, these examples have had their training
        window.markTrained();
        lastTraining = System.nanoTime();
        commitPositions();
        Trainer.Candidate c = null;
        Outcome outcome;
        try {
            c = trainer.candidate(TrainingWindow.examples(entries), lineage, liveQueries(entries, lineage));
            java.util.Optional<ModelUpdate> sameWindow = sameWindowAsRolledBack(entries, lineage);
            if (!c.promote()) {
                outcome = outcome(Status.REJECTED, null, null, c, c.decision().reason(), t0);
            } else if (sameWindow.isPresent()) {
                outcome = outcome(Status.REJECTED, null, null, c, "trained on the same window as "
                        + sameWindow.get().version() + ", which was rolled back; " + c.decision().reason(), t0);
            } else if (settings.online().enabled()) {
                outcome = publish(c, entries, lineage, t0, ModelUpdate.UNDER_TEST);
            } else {
                outcome = publish(c, entries, lineage, t0, ModelUpdate.PROMOTED);
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("training failed: {}", e.toString(), e);
            outcome = c == null
                    ? new Outcome(Status.FAILED, null, null, lineage.liveVersion(), settings.mode(), null, null,
                            Double.NaN, Double.NaN, String.valueOf(e.getMessage()), entries.size(), 0, 0, 0, millis(t0))
                    : outcome(Status.FAILED, null, null, c, String.valueOf(e.getMessage()), t0);
        }
        stats.outcome(outcome);
        LOG.info("training: {}; {}", outcome.summary(), outcome.reason());
        return outcome;
    }

    /**
     * Exports the candidate and publishes it with {@code status} ({@code promoted}: live at once;
     * {@code under_test}: searched by interleaving until the online gate decides), then waits until
     * the trainer's own follower sees it so.
     */
    private Outcome publish(Trainer.Candidate c, List<TrainingWindow.Entry> entries, ModelLineage lineage, long t0,
            String status) throws IOException {
        // a pause or a rollback may have landed while the candidate trained: look again before publishing
        ModelLineage current = follower.lineage();
        java.util.Optional<String> hold = current.liveVersion().equals(c.liveVersion())
                ? holdReason(entries, current, System.currentTimeMillis())
                : java.util.Optional.of("the live model changed to " + current.liveVersion() + " while "
                        + c.liveVersion() + "'s candidate trained");
        if (hold.isPresent()) {
            LOG.info("training held: {}; its candidate is not published", hold.get());
            return outcome(Status.HELD, null, null, c, hold.get() + "; not published", t0);
        }
        String version = trainer.nextVersion(current);
        Map<String, Object> metrics = Trainer.metricsMap(c);
        Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("parent", c.liveVersion());
        extras.put("mode", TrainSettings.modeName(c.mode()));
        extras.put("base_version", trainer.baseVersion());
        extras.put("document_version", c.mode() == AdapterMode.SYMMETRIC ? version : c.liveDocumentVersion());
        Map<String, Object> window = trainingWindow(entries);
        // the keys (not the texts) of the queries it was trained on: its online test counts only the others
        window.put(ModelUpdate.TRAINED_QUERIES, c.trainedQueries().stream().map(Queries::key).sorted().toList());
        extras.put("training_window", window);
        extras.put("metrics", metrics);
        List<String> verifyTexts = new ArrayList<>();
        for (int i = entries.size() - 1; i >= 0 && verifyTexts.size() < 8; i--) {
            verifyTexts.add(entries.get(i).example().positive().text());
        }
        Path dir = settings.modelStore().resolve(version);
        trainer.export(c.adapter(), version, extras, verifyTexts);
        JsonNode metricsJson = Json.MAPPER.valueToTree(metrics);
        long now = System.currentTimeMillis();
        ModelUpdate update = trainer.update(version, dir, c, metricsJson, now)
                .withTrainingWindow(Json.MAPPER.valueToTree(extras.get("training_window")));
        boolean underTest = ModelUpdate.UNDER_TEST.equals(status);
        if (underTest) {
            update = update.withStatus(ModelUpdate.UNDER_TEST, now);
        }
        ModelUpdatesFollower.publish(kafka, settings.modelUpdatesTopic(), update);
        try {
            java.util.function.Predicate<ModelLineage> seen = underTest
                    ? l -> l.underTest().map(u -> u.version().equals(version)).orElse(false)
                    : l -> l.liveVersion().equals(version);
            if (!follower.await(seen, LIVE_TIMEOUT)) {
                throw new IOException("published " + version + " as " + status + " but did not see it within "
                        + LIVE_TIMEOUT.toSeconds() + " s (live: " + follower.lineage().liveVersion() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + version + " to be " + status, e);
        }
        return outcome(underTest ? Status.UNDER_TEST : Status.PROMOTED, version,
                dir.toAbsolutePath().normalize().toString(), c, c.decision().reason(), t0);
    }

    /**
     * One step of the online phase: reads the outcomes that arrived within {@code timeout}, counts
     * those of the candidate under test and acts on the gate's verdict. Empty when nothing is under test.
     */
    private java.util.Optional<OnlineGate.Decision> decideOnline(Duration timeout) {
        java.util.Optional<ModelUpdate> underTest = follower.lineage().underTest();
        if (underTest.isEmpty()) {
            comparison = null;
            outcomes.poll(timeout); // keeps reading: outcomes of a later candidate are counted from the log anyway
            return java.util.Optional.empty();
        }
        ModelUpdate candidate = underTest.get();
        java.util.Optional<String> stale = putUnderTestBeforeRollback(candidate, follower.lineage());
        if (stale.isPresent()) {
            OnlineGate.Decision d = new OnlineGate.Decision(OnlineGate.Verdict.ABANDON, 0, 0, 0, 1.0, stale.get());
            lastOnlineDecision = d;
            conclude(candidate, d);
            return java.util.Optional.of(d);
        }
        if (comparison == null || !comparison.candidate().version().equals(candidate.version())) {
            comparison = new OnlineComparison(candidate);
            // its outcomes may already have been read past: count them all, from the beginning
            outcomes.seekToBeginning(outcomes.assignment());
            LOG.info("candidate {} under test online against {}", candidate.version(), candidate.parent());
        }
        for (ConsumerRecord<byte[], byte[]> r : outcomes.poll(timeout)) {
            if (r.value() == null) {
                continue;
            }
            InterleavingOutcome o;
            try {
                o = outcomeDeserializer.deserialize(r.topic(), r.value());
            } catch (RuntimeException e) {
                LOG.warn("skipping unreadable interleaving outcome {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                        e.getClass().getSimpleName());
                continue;
            }
            int notCountedBefore = comparison.notCounted();
            if (comparison.add(o)) {
                stats.interleaving(switch (o.outcome()) {
                    case InterleavingOutcome.WIN -> "candidate";
                    case InterleavingOutcome.LOSS -> "live";
                    default -> "tie";
                });
            } else if (comparison.notCounted() > notCountedBefore) {
                stats.interleaving("not_counted"); // a query the candidate was trained on
            }
        }
        OnlineGate.Decision d = comparison.decide(onlineGate, System.currentTimeMillis());
        if (d.verdict() == OnlineGate.Verdict.PROMOTE && follower.lineage().trainingPaused()) {
            // an operator paused promotions: the candidate stays under test, its outcomes keep counting
            d = new OnlineGate.Decision(OnlineGate.Verdict.CONTINUE, d.wins(), d.losses(), d.ties(), d.pValue(),
                    "promotions are paused (train pause); " + d.reason());
        }
        lastOnlineDecision = d;
        if (d.verdict() != OnlineGate.Verdict.CONTINUE) {
            conclude(candidate, d);
        }
        return java.util.Optional.of(d);
    }

    /**
     * Why {@code candidate} may not be decided online any more: it was put under test before the
     * latest rollback. A candidate under test is compared with its parent; it is seen again only when
     * a rollback makes its parent live again (someone promoted another model meanwhile, then rolled
     * that back). It was trained on the traffic before the rollback, which the rollback judged: like a
     * training of that traffic ({@code train.min-new-examples-after-rollback}) it is not promoted,
     * and it is abandoned rather than left to hold training.
     */
    static java.util.Optional<String> putUnderTestBeforeRollback(ModelUpdate candidate, ModelLineage lineage) {
        java.util.Optional<ModelUpdate> rollback = lineage.lastRollback();
        if (rollback.isEmpty()) {
            return java.util.Optional.empty();
        }
        ModelUpdate r = rollback.get();
        if (candidate.promotedAt() > r.rolledBackTime()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(OnlineGate.ROLLED_BACK + candidate.version() + " went under test against "
                + candidate.parent() + " before " + r.version() + " was rolled back; it was trained on the traffic"
                + " the rollback judged");
    }

    /** Publishes the candidate's new status ({@code promoted} or {@code abandoned}) and waits until the follower sees it. */
    private void conclude(ModelUpdate candidate, OnlineGate.Decision d) {
        boolean promote = d.verdict() == OnlineGate.Verdict.PROMOTE;
        ModelUpdate next = candidate.withStatus(promote ? ModelUpdate.PROMOTED : ModelUpdate.ABANDONED,
                System.currentTimeMillis());
        ModelUpdatesFollower.publish(kafka, settings.modelUpdatesTopic(), next);
        LOG.info("candidate {} {} online: {}", candidate.version(), promote ? "promoted" : "abandoned", d.reason());
        try {
            java.util.function.Predicate<ModelLineage> seen = promote
                    ? l -> l.liveVersion().equals(candidate.version())
                    : l -> l.get(candidate.version()).map(u -> ModelUpdate.ABANDONED.equals(u.status())).orElse(false);
            if (!follower.await(seen, LIVE_TIMEOUT)) {
                throw new IllegalStateException("published " + candidate.version() + " as " + next.status()
                        + " but did not see it within " + LIVE_TIMEOUT.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + candidate.version(), e);
        }
        comparison = null;
        stats.concluded(d);
        if (promote) {
            stats.promotedOnline();
        }
    }

    /**
     * Why no candidate may be promoted now, if so: an operator paused promotions; the last rollback
     * has seen fewer than {@code train.min-new-examples-after-rollback} newer examples; or the live
     * model was promoted less than {@code train.min-promotion-interval-ms} ago, or fewer than
     * {@code train.min-new-examples-between-promotions} examples come from pages it served. All of it
     * is read from {@code model-updates} and the window, so every trainer instance, restarted or not,
     * holds alike.
     */
    static java.util.Optional<String> holdReason(List<TrainingWindow.Entry> entries, ModelLineage lineage,
            TrainSettings.Promotion rules, long now) {
        if (lineage.trainingPaused()) {
            return java.util.Optional.of("promotions are paused (train pause); train resume lifts it");
        }
        java.util.Optional<ModelUpdate> rollback = lineage.lastRollback();
        if (rollback.isPresent()) {
            ModelUpdate r = rollback.get();
            long since = r.rolledBackTime();
            long fresh = entries.stream().filter(e -> e.example().timestamp() > since).count();
            if (fresh < rules.minNewExamplesAfterRollback()) {
                return java.util.Optional.of("rolled back " + r.version() + ": " + fresh
                        + " examples since, need " + rules.minNewExamplesAfterRollback());
            }
        }
        java.util.Optional<ModelUpdate> live = lineage.live();
        if (live.isPresent()) {
            long age = now - live.get().promotedAt();
            if (age < rules.minInterval().toMillis()) {
                return java.util.Optional.of("live model " + live.get().version() + " promoted " + age
                        + " ms ago, need " + rules.minInterval().toMillis());
            }
            String v = live.get().version();
            long served = entries.stream().filter(e -> e.example().modelVersion().equals(v)).count();
            if (served < rules.minNewExamples()) {
                return java.util.Optional.of(served + " examples from pages " + v + " served, need "
                        + rules.minNewExamples());
            }
        }
        return java.util.Optional.empty();
    }

    private java.util.Optional<String> holdReason(List<TrainingWindow.Entry> entries, ModelLineage lineage, long now) {
        // an operator's pause (and a rollback) is the reason to report first: it holds whatever else is going on
        return holdReason(entries, lineage, settings.promotion(), now)
                .or(() -> underTestHold(lineage, settings.online().enabled()));
    }

    /**
     * Abandons the candidate under test as superseded when it is still undecided and the window holds
     * at least as many examples newer than its training as it was trained on
     * ({@code train.online-supersede}); called only when nothing else holds training: its test has had
     * the traffic that doubled the data and could not tell, and a candidate trained on all of it is the
     * better bet. Not a candidate that is ahead with a running p-value below the level of its next look
     * ({@link OnlineGate#nextLookLevel}, 0.00625 with the defaults): it would be promoted if that look came now,
     * and is undecided only because the look has not come (on a shifted Cranfield a candidate led
     * 55 / 22, p = 0.0026, three preferences before its look at 80 when it was superseded). Below
     * {@code train.online-alpha} is not enough: each look comes at twice the preferences of the one
     * before, and a candidate that led at p = 0.01-0.04 for three rounds (+0.037 nDCG@10 on the test
     * split) held every training meanwhile.
     *
     * @return whether it abandoned the candidate
     */
    private boolean supersede(List<TrainingWindow.Entry> entries, ModelLineage lineage) {
        java.util.Optional<ModelUpdate> underTest = lineage.underTest();
        if (!settings.online().enabled() || !settings.online().supersede() || underTest.isEmpty()) {
            return false;
        }
        ModelUpdate candidate = underTest.get();
        long trainedOn = candidate.trainingWindow() == null ? 0 : candidate.trainingWindow().path("examples").asLong(0);
        long newer = newerThanWindow(entries, candidate);
        if (trainedOn <= 0 || newer < trainedOn) {
            return false;
        }
        OnlineGate.Decision now = comparison != null && comparison.candidate().version().equals(candidate.version())
                ? comparison.decide(onlineGate, System.currentTimeMillis()) : null;
        if (now != null && now.verdict() != OnlineGate.Verdict.CONTINUE) {
            return false; // decided already: the online step acts on it
        }
        double nextLevel = now == null ? 0 : onlineGate.nextLookLevel(now.wins() + now.losses());
        if (now != null && now.wins() > now.losses() && now.pValue() < nextLevel) {
            // ahead beyond the level its next look tests at, undecided only because that look has not come:
            // superseding would throw away a promotion. Training waits for the look (or futility, or the budget)
            LOG.info("candidate {} not superseded: ahead with p={} < {}, the level of its next look ({} newer examples)",
                    candidate.version(), String.format(java.util.Locale.ROOT, "%.4f", now.pValue()),
                    String.format(java.util.Locale.ROOT, "%.5f", nextLevel), newer);
            return false;
        }
        conclude(candidate, new OnlineGate.Decision(OnlineGate.Verdict.ABANDON, now == null ? 0 : now.wins(),
                now == null ? 0 : now.losses(), now == null ? 0 : now.ties(), now == null ? 1.0 : now.pValue(),
                OnlineGate.SUPERSEDED + newer + " examples arrived after the " + trainedOn + " it was trained on, and its"
                        + " test is undecided" + (now == null ? "" : " (" + now.reason() + ")")
                        + "; the next candidate trains on them"));
        return true;
    }

    /** The entries past the end of {@code model}'s training window, by offset per partition. */
    static long newerThanWindow(List<TrainingWindow.Entry> entries, ModelUpdate model) {
        JsonNode partitions = model.trainingWindow() == null ? null : model.trainingWindow().get("partitions");
        if (partitions == null || !partitions.isObject()) {
            return 0;
        }
        long n = 0;
        for (TrainingWindow.Entry e : entries) {
            JsonNode range = partitions.get(Integer.toString(e.partition()));
            if (range == null || e.offset() > range.path("to").asLong(Long.MAX_VALUE)) {
                n++;
            }
        }
        return n;
    }

    /**
     * With an online phase, no candidate is trained while one is under test against the live model:
     * it would be compared with a live model that may be about to change, and two candidates cannot
     * share the interleaved traffic.
     */
    static java.util.Optional<String> underTestHold(ModelLineage lineage, boolean online) {
        if (!online) {
            return java.util.Optional.empty();
        }
        return lineage.underTest().map(u -> "candidate " + u.version()
                + " is under test online; no other candidate is trained until it is promoted or abandoned");
    }

    /** A rolled-back model trained on exactly this window (same offsets), if any. */
    private java.util.Optional<ModelUpdate> sameWindowAsRolledBack(List<TrainingWindow.Entry> entries,
            ModelLineage lineage) {
        JsonNode partitions = Json.MAPPER.valueToTree(trainingWindow(entries)).get("partitions");
        return lineage.rolledBack().stream()
                .filter(u -> u.trainingWindow() != null && partitions.equals(u.trainingWindow().get("partitions")))
                .findFirst();
    }

    /**
     * The normalised queries the live model was trained on: those of the examples in its training
     * window (its {@code training_window} partition ranges on {@code model-updates}), less the
     * queries it held out, when its record lists the ones it trained on
     * ({@code training_window.trained_queries}, keys by {@link Queries#key}). A query the live model
     * held back is one it never trained on, so a candidate may hold it back again and the users judge
     * both models on it: the holdback stays the same candidate after candidate. Empty for the base
     * model, or a record without a window; every query of the window for a record without the list.
     */
    static java.util.Set<String> liveQueries(List<TrainingWindow.Entry> entries, ModelLineage lineage) {
        JsonNode window = lineage.live().map(ModelUpdate::trainingWindow).orElse(null);
        JsonNode partitions = window == null ? null : window.get("partitions");
        if (partitions == null || !partitions.isObject()) {
            return java.util.Set.of();
        }
        java.util.Set<String> trainedKeys = lineage.live().get().trainedQueryKeys();
        java.util.Set<String> inWindow = new java.util.HashSet<>();
        for (TrainingWindow.Entry e : entries) {
            JsonNode range = partitions.get(Integer.toString(e.partition()));
            if (range != null && e.offset() >= range.path("from").asLong(Long.MAX_VALUE)
                    && e.offset() <= range.path("to").asLong(Long.MIN_VALUE)) {
                inWindow.add(Queries.normalise(e.example().query()));
            }
        }
        if (trainedKeys != null) {
            // one digest per distinct query, not per example
            inWindow.removeIf(q -> !trainedKeys.contains(Queries.key(q)));
        }
        return inWindow;
    }

    private Map<String, Object> trainingWindow(List<TrainingWindow.Entry> entries) {
        Map<String, Object> partitions = new LinkedHashMap<>();
        TrainingWindow.ranges(entries).forEach((p, r) -> partitions.put(Integer.toString(p),
                Map.of("from", r.from(), "to", r.to())));
        long minTs = Long.MAX_VALUE;
        long maxTs = Long.MIN_VALUE;
        for (TrainingWindow.Entry e : entries) {
            minTs = Math.min(minTs, e.example().timestamp());
            maxTs = Math.max(maxTs, e.example().timestamp());
        }
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("topic", settings.trainingPairsTopic());
        w.put("partitions", partitions);
        w.put("examples", entries.size());
        w.put("from_timestamp", minTs);
        w.put("to_timestamp", maxTs);
        return w;
    }

    private Outcome outcome(Status status, String version, String path, Trainer.Candidate c, String reason, long t0) {
        Gate.Decision d = c.decision();
        if (c.choice() != null) {
            reason = reason + "; settings " + c.choice();
        }
        return new Outcome(status, version, path, c.liveVersion(), c.mode(), d == null ? null : d.live(),
                d == null ? null : d.candidate(), d == null ? Double.NaN : d.improvement(),
                d == null ? Double.NaN : d.pValue(), reason, c.examples(), c.trainExamples(), c.holdoutExamples(),
                c.trainMillis(), millis(t0));
    }

    private void commitPositions() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : consumer.assignment()) {
            long pos = consumer.position(tp);
            offsets.put(tp, new OffsetAndMetadata(pos));
            trainedUpTo.put(tp, pos);
        }
        try {
            consumer.commitSync(offsets, Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            // only a restart's notion of "new" suffers; training goes on
            LOG.warn("could not commit trained-up-to offsets: {}", e.toString());
        }
    }

    private static long millis(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }


    private Properties outcomesConsumerProperties() {
        Properties props = KafkaClients.consumer(kafka);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    private static void assignFromBeginning(KafkaConsumer<byte[], byte[]> c, String topic) {
        List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(60));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " has no partitions");
        }
        List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        c.assign(parts);
        c.seekToBeginning(parts);
    }

    private Properties consumerProperties() {
        Properties props = KafkaClients.consumer(kafka);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    @Override
    public void close() {
        running = false;
        Thread t;
        synchronized (this) {
            t = loop;
        }
        if (t != null) {
            consumer.wakeup();
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        lock.lock();
        try {
            consumer.close(Duration.ofSeconds(5));
            if (outcomes != null) {
                outcomes.close(Duration.ofSeconds(5));
            }
        } finally {
            lock.unlock();
            follower.close();
            cache.close();
        }
    }
}
