package dev.embedloop;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.index.IndexStats;
import dev.embedloop.index.IndexingTopology;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.kafka.StreamsRunner;
import dev.embedloop.qdrant.CollectionBootstrap;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.QdrantSink;
import io.qdrant.client.QdrantClient;
import java.time.Duration;
import java.util.Properties;
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
    private final String collection;

    private Indexer(StreamsRunner runner, IndexStats stats, String collection) {
        this.runner = runner;
        this.stats = stats;
        this.collection = collection;
    }

    /** Starts the indexer; the models and the client stay owned by the caller. */
    public static Indexer start(EmbedloopConfig cfg, Models models, QdrantClient client) {
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
        EmbedloopConfig.Qdrant q = cfg.qdrant();
        String collection = CollectionBootstrap.ensure(client, q.collection(), models.encoder().model().version(),
                models.encoder().model().dimension(), q.timeout());
        QdrantSink sink = new QdrantSink(client, collection, q.timeout(), q.retryMax());
        IndexStats stats = new IndexStats();
        StreamsRunner runner = StreamsRunner.start("indexer",
                IndexingTopology.build(cfg.index(), models.encoder(), models.chunker(), sink, stats),
                streamsProperties(cfg), Indexer::isTransient);
        LOG.info("indexing {} into Qdrant collection {} (alias {})", cfg.topics().documents(), collection, q.collection());
        return new Indexer(runner, stats, collection);
    }

    static Properties streamsProperties(EmbedloopConfig cfg) {
        Properties props = cfg.kafkaProperties();
        long maxRecord = IndexingTopology.maxRecordBytes(cfg.index().maxTextBytes());
        props.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        props.putIfAbsent(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
        props.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
        // one huge document can take minutes to encode; do not let the group evict the thread meanwhile
        props.putIfAbsent(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG), "3600000");
        props.putIfAbsent(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), "100");
        props.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Long.toString(maxRecord));
        return props;
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

    public IndexStats stats() {
        return stats;
    }

    /** The versioned collection written to. */
    public String collection() {
        return collection;
    }

    @Override
    public void close() {
        runner.close();
        LOG.info("indexer counters: {}", stats);
    }
}
