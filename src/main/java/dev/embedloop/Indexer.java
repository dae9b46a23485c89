package dev.embedloop;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.index.IndexStats;
import dev.embedloop.index.IndexingTopology;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.qdrant.CollectionBootstrap;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.QdrantSink;
import io.qdrant.client.QdrantClient;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
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

    private final KafkaStreams streams;
    private final IndexStats stats;
    private final String collection;
    private final CountDownLatch running = new CountDownLatch(1);
    private volatile KafkaStreams.State state = KafkaStreams.State.CREATED;

    private Indexer(KafkaStreams streams, IndexStats stats, String collection) {
        this.streams = streams;
        this.stats = stats;
        this.collection = collection;
    }

    /** Starts the indexer; the encoder and the client stay owned by the caller. */
    public static Indexer start(EmbedloopConfig cfg, Models models, QdrantClient client) {
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
        EmbedloopConfig.Qdrant q = cfg.qdrant();
        String collection = CollectionBootstrap.ensure(client, q.collection(), models.encoder().model().version(),
                models.encoder().model().dimension(), q.timeout());
        QdrantSink sink = new QdrantSink(client, collection, q.timeout(), q.retryMax());
        IndexStats stats = new IndexStats();
        KafkaStreams streams = new KafkaStreams(
                IndexingTopology.build(cfg.index(), models.encoder(), models.chunker(), sink, stats),
                streamsProperties(cfg));
        Indexer indexer = new Indexer(streams, stats, collection);
        streams.setStateListener((now, before) -> {
            indexer.state = now;
            LOG.info("indexer {} -> {}", before, now);
            if (now == KafkaStreams.State.RUNNING) {
                indexer.running.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            if (isTransient(e)) {
                LOG.warn("stream thread failed on a transient error; replacing it (pending changes are kept): {}",
                        e.getMessage());
                return StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            LOG.error("indexer stopped by an unrecoverable error", e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        LOG.info("indexing {} into Qdrant collection {} (alias {})", cfg.topics().documents(), collection, q.collection());
        return indexer;
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
        return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public KafkaStreams.State state() {
        return state;
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
        streams.close(Duration.ofSeconds(30));
        LOG.info("indexer stopped: {}", stats);
    }
}
