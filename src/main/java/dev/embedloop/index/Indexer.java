package dev.embedloop.index;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.Models;
import dev.embedloop.kafka.KafkaClients;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.kafka.StreamsRunner;
import dev.embedloop.lineage.ModelUpdatesFollower;
import dev.embedloop.metrics.Meters;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.QdrantCollections;
import io.micrometer.core.instrument.MeterRegistry;
import io.qdrant.client.QdrantClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the indexing topology against the configured Kafka and Qdrant: creates missing topics,
 * bootstraps the collection, starts Kafka Streams. A stream thread that fails on a transient
 * error is replaced (the pending change is written by the new thread); any other failure stops
 * the indexer with the error logged.
 */
public final class Indexer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Indexer.class);

    private final StreamsRunner runner;
    private final IndexStats stats;
    private final IndexTargets targets;
    private final ModelUpdatesFollower follower;
    private final FillProgress progress;

    private Indexer(StreamsRunner runner, IndexStats stats, IndexTargets targets, ModelUpdatesFollower follower,
            FillProgress progress) {
        this.runner = runner;
        this.stats = stats;
        this.targets = targets;
        this.follower = follower;
        this.progress = progress;
    }

    /**
     * Starts the indexer; the models and the client stay owned by the caller. Follows
     * {@code model-updates}: when the live model's document vectors change, re-indexes into a new
     * collection from stored base vectors and moves the alias (see {@link IndexTargets}).
     */
    public static Indexer start(EmbedloopConfig cfg, Models models, QdrantClient client) {
        return start(cfg, models, client, Meters.detached());
    }

    /** {@link #start(EmbedloopConfig, Models, QdrantClient)} with its meters in {@code registry}. */
    public static Indexer start(EmbedloopConfig cfg, Models models, QdrantClient client, MeterRegistry registry) {
        List<NewTopic> topics = new ArrayList<>(KafkaTopics.indexingTopics(cfg));
        topics.addAll(KafkaTopics.modelTopics(cfg));
        topics.add(KafkaFillProgress.topic(cfg));
        KafkaTopics.ensure(cfg.kafkaProperties(), topics);
        EmbedloopConfig.Qdrant q = cfg.qdrant();
        IndexSettings settings = IndexSettings.from(cfg);
        String baseVersion = models.encoder().model().version();
        ModelUpdatesFollower follower = ModelUpdatesFollower.startCaughtUp(cfg.kafkaProperties(),
                cfg.topics().modelUpdates(), baseVersion, Duration.ofSeconds(60));
        FillProgress progress = null;
        try {
            // every instance of the alias records and reads which documents partitions a re-index filled
            progress = KafkaFillProgress.start(cfg.kafkaProperties(), cfg.topics().fillProgress(),
                    KafkaFillProgress.partitionsOf(cfg.kafkaProperties(), cfg.topics().documents()),
                    KafkaFillProgress.instanceName(), Duration.ofSeconds(60));
            IndexStats stats = new IndexStats(registry);
            IndexTargets targets = IndexTargets.withModelStore(new QdrantCollections(client, q.collection(),
                    models.encoder().model().dimension(), q.timeout(), q.retryMax(), q.sparse()),
                    settings.retention(), stats, progress);
            ModelUpdatesFollower.State state = follower.state();
            targets.start(state.lineage(), state.documentEpoch());
            follower.addListener(lineage -> {
                ModelUpdatesFollower.State s = follower.state();
                targets.onLineage(s.lineage(), s.documentEpoch());
            });
            StreamsRunner runner = StreamsRunner.start("indexer",
                    IndexingTopology.build(settings, models.encoder(), models.chunker(), targets, stats),
                    streamsProperties(cfg), Indexer::isTransient);
            Indexer indexer = new Indexer(runner, stats, targets, follower, progress);
            LOG.info("indexing {} into Qdrant collection {} (alias {}, live model {})", cfg.topics().documents(),
                    indexer.collection(), q.collection(), follower.lineage().liveVersion());
            return indexer;
        } catch (RuntimeException e) {
            follower.close();
            if (progress != null) {
                progress.close();
            }
            throw e;
        }
    }

    /** The Kafka Streams settings of the indexer (the benchmark's second indexer uses them too). */
    public static Properties streamsProperties(EmbedloopConfig cfg) {
        Properties props = KafkaClients.streams(cfg.kafkaProperties());
        long maxRecord = cfg.topics().maxRecordBytes();
        props.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        props.putIfAbsent(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
        props.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
        // the index processor's punctuator looks every 10 ms whether the input went quiet; a stream
        // thread blocked in poll for the default 100 ms cannot run it, and partial batches would wait
        props.putIfAbsent(StreamsConfig.POLL_MS_CONFIG, "10");
        // one huge document can take minutes to encode; do not let the group evict the thread meanwhile
        props.putIfAbsent(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG), "3600000");
        props.putIfAbsent(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), "100");
        // a producer that writes documents in transactions aborted what it aborted: index committed events only
        // (at least once leaves Kafka Streams' consumers at read_uncommitted)
        props.putIfAbsent(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        props.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Long.toString(maxRecord));
        return StreamsRunner.staticMembership(props, cfg.reader().optional("instance.id"));
    }

    /** Qdrant being away is transient: the pending change is kept and written by the next thread. */
    private static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Qdrant.QdrantException q) {
                return q.transientFailure();
            }
        }
        return false;
    }

    /** Waits until Kafka Streams reports RUNNING. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return runner.awaitRunning(timeout);
    }

    public KafkaStreams.State state() {
        return runner.state();
    }

    public boolean stopped() {
        return runner.stopped();
    }

    /** The Kafka Streams instance, for metrics binders only. */
    public KafkaStreams kafkaStreams() {
        return runner.kafkaStreams();
    }

    public IndexStats stats() {
        return stats;
    }

    /** The live collection (the alias's target as this indexer knows it). */
    public String collection() {
        return targets.targets().stream().filter(t -> t.role() == IndexTargets.Role.LIVE)
                .map(IndexTargets.Target::collection).findFirst().orElse(null);
    }

    /** The collections written to, with their roles. */
    public List<IndexTargets.Target> targets() {
        return targets.targets();
    }

    @Override
    public void close() {
        follower.close();
        runner.close();
        progress.close();
        LOG.info("indexer counters: {}", stats);
    }
}
