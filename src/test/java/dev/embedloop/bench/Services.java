package dev.embedloop.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedloop.chunk.Chunk;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.index.IndexSettings;
import dev.embedloop.index.IndexStats;
import dev.embedloop.index.Indexer;
import dev.embedloop.index.IndexingTopology;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.kafka.StreamsRunner;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.CollectionBootstrap;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.QdrantSink;
import io.qdrant.client.QdrantClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.LongSupplier;

/**
 * The embedded mode as the end-to-end test sets it up: a real Kafka broker and the Qdrant local
 * mode in this JVM, the bundled fp32 model, and the indexer (Kafka Streams) writing through the
 * alias {@value #COLLECTION}.
 */
final class Services implements AutoCloseable {

    static final String COLLECTION = "bench";
    private static final ObjectMapper JSON = new ObjectMapper();

    final EmbeddedServices services;
    final EmbedloopConfig cfg;
    final Models models;
    final QdrantClient client;
    final Indexer indexer;
    final Publisher publisher;

    private Services(EmbeddedServices services, EmbedloopConfig cfg, Models models, QdrantClient client, Indexer indexer,
            Publisher publisher) {
        this.services = services;
        this.cfg = cfg;
        this.models = models;
        this.client = client;
        this.indexer = indexer;
        this.publisher = publisher;
    }

    static Services start(Path stateDir, Map<String, String> overrides) throws InterruptedException {
        EmbedloopConfig base = ConfigLoader.defaults().with(overrides);
        EmbeddedServices services = EmbeddedServices.start(base, 0, 0, null);
        Models models = null;
        QdrantClient client = null;
        Indexer indexer = null;
        try {
            EmbedloopConfig cfg = services.configure(base).with(Map.of(
                    "kafka.state.dir", stateDir.resolve("streams").toString(),
                    "kafka.application.id", "bench-indexer",
                    "qdrant.collection", COLLECTION));
            models = Models.open(cfg);
            client = Qdrant.connect(cfg.qdrant());
            indexer = Indexer.start(cfg, models, client);
            if (!indexer.awaitRunning(Duration.ofSeconds(120))) {
                throw new IllegalStateException("the indexer did not reach RUNNING in 120 s: " + indexer.state());
            }
            Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                    cfg.topics().maxRecordBytes());
            return new Services(services, cfg, models, client, indexer, publisher);
        } catch (RuntimeException | InterruptedException e) {
            if (indexer != null) indexer.close();
            if (client != null) client.close();
            if (models != null) models.close();
            services.close();
            throw e;
        }
    }

    /** Pseudo-keys of {@code --variant} handled by the benchmark rather than the configuration. */
    static final String LONGEST_FIRST = "bench.encoder-longest-first";

    /**
     * A second indexer with its own topic, collection, application id and model instance, and
     * {@code overrides} on top of this one's configuration: the "after" of a before/after. It is
     * wired like {@code Indexer.start} does, but through a {@link RecordingEncoder} that counts the
     * encoder calls (and, with {@value #LONGEST_FIRST}=true, prototypes longest-first ordering).
     */
    Variant startVariant(Path stateDir, Map<String, String> overrides) throws InterruptedException {
        Map<String, String> keys = new LinkedHashMap<>(Map.of(
                "topics.documents", "bench-variant",
                "topics.dead-letter", "bench-variant.dlq",
                "kafka.application.id", "bench-variant-indexer",
                "kafka.state.dir", stateDir.resolve("variant-streams").toString(),
                "qdrant.collection", "bench-variant"));
        Map<String, String> real = new LinkedHashMap<>(overrides);
        boolean longestFirst = Boolean.parseBoolean(real.remove(LONGEST_FIRST));
        keys.putAll(real);
        EmbedloopConfig vcfg = cfg.with(keys);
        Models vmodels = Models.open(vcfg);
        StreamsRunner runner = null;
        try {
            KafkaTopics.ensure(vcfg.kafkaProperties(), KafkaTopics.indexingTopics(vcfg));
            EmbedloopConfig.Qdrant q = vcfg.qdrant();
            String collection = CollectionBootstrap.ensure(client, q.collection(), vmodels.encoder().model().version(),
                    vmodels.encoder().model().dimension(), q.timeout());
            RecordingEncoder encoder = new RecordingEncoder(vmodels.encoder(), longestFirst);
            IndexStats vstats = new IndexStats();
            QdrantSink sink = new QdrantSink(client, collection, q.timeout(), q.retryMax());
            Properties props = Indexer.streamsProperties(vcfg);
            runner = StreamsRunner.start("variant-indexer",
                    IndexingTopology.build(IndexSettings.from(vcfg), encoder, vmodels.chunker(), sink, vstats), props, e -> false);
            if (!runner.awaitRunning(Duration.ofSeconds(120))) {
                throw new IllegalStateException("the variant indexer did not reach RUNNING: " + runner.state());
            }
            Publisher vpublisher = new Publisher(vcfg.kafkaProperties(), vcfg.topics().documents(),
                    vcfg.topics().maxRecordBytes());
            LongSupplier indexedCount = vstats::indexed;
            return new Variant(overrides, vmodels, runner, indexedCount, encoder, vpublisher, collection);
        } catch (RuntimeException | InterruptedException e) {
            if (runner != null) runner.close();
            vmodels.close();
            throw e;
        }
    }

    /** A second indexer, see {@link #startVariant}. */
    record Variant(Map<String, String> overrides, Models models, StreamsRunner runner, LongSupplier indexed,
            RecordingEncoder encoder, Publisher publisher, String collection) implements AutoCloseable {
        @Override
        public void close() {
            try {
                publisher.close();
            } finally {
                try {
                    runner.close();
                } finally {
                    models.close();
                }
            }
        }
    }

    /** The event JSON for a document published under {@code id}. */
    static byte[] event(String id, Dataset.Doc doc) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        if (doc.title() != null && !doc.title().isBlank()) {
            m.put("title", doc.title());
        }
        m.put("text", doc.body());
        m.put("version", 1);
        try {
            return JSON.writeValueAsBytes(m);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The chunk texts the indexer would encode for {@code docs}. */
    List<String> chunkTexts(List<Dataset.Doc> docs) {
        List<String> out = new ArrayList<>();
        for (Dataset.Doc d : docs) {
            for (Chunk c : models.chunker().chunk(d.text())) {
                out.add(c.text());
            }
        }
        return out;
    }

    /** Waits until {@code counter} reaches {@code target}, polling every millisecond. */
    static void awaitCount(LongSupplier counter, long target, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (counter.getAsLong() < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what
                        + " to reach " + target + " (at " + counter.getAsLong() + ")");
            }
            Thread.sleep(1);
        }
    }

    @Override
    public void close() {
        try {
            publisher.close();
        } finally {
            try {
                indexer.close();
            } finally {
                try {
                    client.close();
                } finally {
                    try {
                        models.close();
                    } finally {
                        services.close();
                    }
                }
            }
        }
    }
}
