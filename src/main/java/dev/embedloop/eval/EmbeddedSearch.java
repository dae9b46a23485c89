package dev.embedloop.eval;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.Models;
import dev.embedloop.feedback.FeedbackRunner;
import dev.embedloop.feedback.FeedbackSettings;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.Impression;
import dev.embedloop.search.FeedbackLog;
import dev.embedloop.search.KafkaFeedbackLog;
import dev.embedloop.search.SearchService;
import dev.embedloop.search.Searcher;
import io.qdrant.client.QdrantClient;
import java.net.URI;
import java.util.Objects;

/**
 * Starts what {@code eval --simulate-clicks} needs in the embedded mode: the search service on a
 * free port (impressions and clicks go to Kafka) and the feedback topology that turns them into
 * training pairs.
 */
final class EmbeddedSearch {

    private EmbeddedSearch() {}

    /** A running search service and how to stop it. */
    record Endpoint(URI uri, AutoCloseable closer, FeedbackRunner feedback, CountingLog log, EmbedloopConfig cfg,
            java.io.PrintStream progress) implements AutoCloseable {
        Endpoint {
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(closer, "closer");
        }

        /**
         * Waits (bounded) until the feedback topology has read every impression the search service
         * wrote so far, has decided them all, and its training examples have stopped coming: what the
         * simulated users did is then on the topic.
         */
        void settle() throws InterruptedException {
            long written = log.impressions();
            long readBy = System.nanoTime() + decisionTimeout(cfg).toNanos();
            while (feedback.stats().impressions() < written && System.nanoTime() < readBy) {
                Thread.sleep(100); // polling the topology's counters with a deadline
            }
            awaitDecided(feedback, cfg, progress);
            long last = -1;
            long stableSince = System.nanoTime();
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                long now = feedback.stats().examplesEmitted();
                if (now != last) {
                    last = now;
                    stableSince = System.nanoTime();
                } else if (System.nanoTime() - stableSince > java.time.Duration.ofSeconds(3).toNanos()) {
                    return;
                }
                Thread.sleep(100); // polling the topology's counters with a deadline
            }
        }

        @Override
        public void close() {
            try {
                closer.close();
            } catch (Exception e) {
                throw new IllegalStateException("stopping the embedded search service failed: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Waits (bounded) until the feedback topology has decided every impression it received, so the
     * run reports how many training pairs the simulated users produced.
     */
    private static void awaitDecided(FeedbackRunner feedback, EmbedloopConfig cfg, java.io.PrintStream progress)
            throws InterruptedException {
        long deadline = System.nanoTime() + decisionTimeout(cfg).toNanos();
        while (feedback.stats().impressionsClosed() < feedback.stats().impressions() && System.nanoTime() < deadline) {
            Thread.sleep(200); // polling the topology's counters with a deadline
        }
        progress.println("[eval] feedback topology: " + feedback.stats());
    }

    /** How long the topology may take to read and decide what the search service wrote: three windows and 30 s. */
    private static java.time.Duration decisionTimeout(EmbedloopConfig cfg) {
        return FeedbackSettings.from(cfg).window().multipliedBy(3).plusSeconds(30);
    }

    /** Whether {@link #start} can start a service; checked before indexing so a run fails fast. */
    static boolean wired() {
        return true;
    }

    /**
     * Starts the search service and the feedback topology on the embedded Kafka and Qdrant.
     *
     * @param cfg pointed at the embedded services
     * @param models the process's model (one per JVM)
     * @param client the Qdrant client the evaluation uses
     */
    static Endpoint start(EmbedloopConfig cfg, Models models, QdrantClient client, java.io.PrintStream progress) {
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.feedbackTopics(cfg));
        FeedbackRunner feedback = FeedbackRunner.start(cfg);
        CountingLog log = new CountingLog(KafkaFeedbackLog.create(cfg));
        Searcher searcher = Searcher.following(cfg, models.encoder(), models.encoderOptions(), client);
        SearchService service = SearchService.start(SearchService.Options.of(cfg).withPort(0), searcher, log);
        return new Endpoint(service.uri(), () -> {
            try {
                service.close();
                awaitDecided(feedback, cfg, progress);
            } finally {
                try {
                    log.close();
                    searcher.close();
                } finally {
                    feedback.close();
                }
            }
        }, feedback, log, cfg, progress);
    }

    /** The search service's feedback log, counting the impressions it has written (acknowledged). */
    static final class CountingLog implements FeedbackLog {
        private final FeedbackLog log;
        private final java.util.concurrent.atomic.AtomicLong impressions = new java.util.concurrent.atomic.AtomicLong();

        CountingLog(FeedbackLog log) {
            this.log = Objects.requireNonNull(log, "log");
        }

        long impressions() {
            return impressions.get();
        }

        @Override
        public void impression(Impression impression) {
            log.impression(impression);
            impressions.incrementAndGet();
        }

        @Override
        public void click(Click click) {
            log.click(click);
        }

        @Override
        public void deadLetter(DeadLetter letter) {
            log.deadLetter(letter);
        }

        @Override
        public String problem() {
            return log.problem();
        }

        @Override
        public void close() {
            log.close();
        }
    }
}
