package dev.embedloop.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.events.DeadLetterHeaders;
import dev.embedloop.index.IndexStats;
import dev.embedloop.index.Indexer;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.search.Hit;
import dev.embedloop.search.Searcher;
import dev.embedloop.testing.Await;
import dev.embedloop.testing.QdrantProbe;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole indexing path in one JVM: the real Kafka broker (KRaft), the Qdrant local mode, the
 * real (quantized) MiniLM model through DJL, the indexing topology in Kafka Streams.
 */
class IndexingEndToEndIT {

    private static final String LONG_TEXT = String.join(" ", java.util.Collections.nCopies(120,
            "The boundary layer thickens along the plate and separates when the pressure gradient turns adverse."));

    // the broker, the local mode and the model are shared infrastructure; every test gets its own
    // topics, alias, indexer and state, so no test depends on another's documents or order
    static EmbeddedServices services;
    static Models models;

    @TempDir
    Path state;

    String alias;
    EmbedloopConfig cfg;
    QdrantClient client;
    Indexer indexer;
    Publisher publisher;
    QdrantProbe probe;

    @BeforeAll
    static void startInfrastructure() {
        EmbedloopConfig base = ConfigLoader.defaults();
        services = EmbeddedServices.start(base, 0, 0, null);
        models = Models.open(services.configure(base).with(Map.of("model", "all-minilm-l6-v2-q")));
    }

    @AfterAll
    static void stopInfrastructure() {
        if (models != null) models.close();
        if (services != null) services.close();
    }

    @BeforeEach
    void start() throws Exception {
        String run = java.util.UUID.randomUUID().toString().substring(0, 8);
        alias = "e2e_" + run;
        cfg = services.configure(ConfigLoader.defaults()).with(Map.of(
                "kafka.state.dir", state.toString(),
                "kafka.application.id", "e2e-indexer-" + run,
                "model", "all-minilm-l6-v2-q",
                "qdrant.collection", alias,
                "topics.documents", "documents-" + run,
                "topics.dead-letter", "documents-dlq-" + run));
        client = Qdrant.connect(cfg.qdrant());
        indexer = Indexer.start(cfg, models, client);
        assertThat(indexer.awaitRunning(Duration.ofSeconds(60))).as("indexer reached RUNNING").isTrue();
        publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes());
        probe = new QdrantProbe(client, alias);
    }

    @AfterEach
    void stop() {
        if (publisher != null) publisher.close();
        if (indexer != null) indexer.close();
        if (client != null) client.close();
    }

    private void publish(String id, String json) {
        publisher.publish(id, json.getBytes(StandardCharsets.UTF_8));
    }

    private static String doc(String id, String title, String text, long version) {
        return "{\"id\":\"" + id + "\",\"title\":\"" + title + "\",\"text\":\"" + text + "\",\"version\":" + version
                + ",\"metadata\":{\"source\":\"e2e\"}}";
    }

    @Test
    void shouldIndexGoodDocumentsAndDeadLetterBadOnesAroundThem() {
        IndexStats stats = indexer.stats();
        publish("wing", doc("wing", "Wing lift", "A wing deflects air downwards and is pushed up in return.", 1));
        publish("broken", "{\"text\": ");
        publish("bread", doc("bread", "Sourdough", "Wild yeast and lactic bacteria leaven sourdough bread.", 1));
        publish("mismatch", "{\"id\": \"other\", \"text\": \"x\"}");
        publish("long", doc("long", "Boundary layers", LONG_TEXT, 1));

        Await.until(Duration.ofSeconds(120), () -> stats.indexed() >= 3, stats::toString);

        Map<String, Integer> perDoc = probe.pointsPerDocument();
        assertThat(perDoc).containsOnlyKeys("wing", "bread", "long");
        assertThat(perDoc.get("wing")).isEqualTo(1);
        assertThat(perDoc.get("long")).isGreaterThan(1);
        assertThat(aliasTarget()).isEqualTo(alias + "__" + models.encoder().model().version().replaceAll("[^a-z0-9_-]", "-"));

        List<ConsumerRecord<byte[], byte[]>> letters = readDeadLetters(2);
        assertThat(letters).extracting(r -> new String(r.headers().lastHeader(DeadLetterHeaders.ERROR).value()))
                .containsExactly("BAD_JSON", "ID_MISMATCH");
    }

    @Test
    void shouldIndexOnlyCommittedTransactions() throws Exception {
        // a producer that writes documents in transactions: what it aborted did not happen
        IndexStats stats = indexer.stats();
        java.util.Properties props = cfg.kafkaProperties();
        props.put(org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG, "e2e-tx-" + alias);
        try (org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> tx = new org.apache.kafka.clients.producer.KafkaProducer<>(
                props, new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            tx.initTransactions();
            tx.beginTransaction();
            tx.send(new org.apache.kafka.clients.producer.ProducerRecord<>(cfg.topics().documents(), "aborted",
                    doc("aborted", "Aborted", "This event was rolled back by its producer.", 1).getBytes(StandardCharsets.UTF_8))).get();
            tx.abortTransaction();
            tx.beginTransaction();
            tx.send(new org.apache.kafka.clients.producer.ProducerRecord<>(cfg.topics().documents(), "committed",
                    doc("committed", "Committed", "This event was committed by its producer.", 1).getBytes(StandardCharsets.UTF_8))).get();
            tx.commitTransaction();
        }
        publish("after", doc("after", "After", "A plain event published after both transactions.", 1));
        Await.until(Duration.ofSeconds(120), () -> probe.pointsPerDocument().containsKey("after"), stats::toString);
        Await.until(Duration.ofSeconds(60), () -> probe.pointsPerDocument().containsKey("committed"), stats::toString);
        assertThat(probe.pointsPerDocument()).containsOnlyKeys("committed", "after");
        assertThat(stats.received()).as("the aborted event never reached the indexer").isEqualTo(2);
    }

    @Test
    void shouldFindDocumentsBySearchThroughTheAlias() {
        IndexStats stats = indexer.stats();
        publish("wing", doc("wing", "Wing lift", "A wing deflects air downwards and is pushed up in return.", 1));
        publish("bread", doc("bread", "Sourdough", "Wild yeast and lactic bacteria leaven sourdough bread.", 1));
        Await.until(Duration.ofSeconds(120), () -> stats.indexed() >= 2, stats::toString);
        Searcher searcher = new Searcher(client, models.encoder(), alias, Duration.ofSeconds(10));
        List<Hit> hits = searcher.search("how is bread leavened without packaged yeast", 3);
        assertThat(hits).isNotEmpty();
        assertThat(hits.get(0).docId()).isEqualTo("bread");
        assertThat(hits).extracting(Hit::docId).doesNotHaveDuplicates();
        assertThat(hits.get(0).title()).isEqualTo("Sourdough");
    }

    @Test
    void shouldNotReencodeARepublishedUnchangedDocument() {
        IndexStats stats = indexer.stats();
        publish("wing", doc("wing", "Wing lift", "A wing deflects air downwards and is pushed up in return.", 1));
        Await.until(Duration.ofSeconds(120), () -> stats.indexed() >= 1, stats::toString);
        long encoded = stats.textsEncoded();
        long unchanged = stats.skippedUnchanged();
        publish("wing", doc("wing", "Wing lift", "A wing deflects air downwards and is pushed up in return.", 1));
        Await.until(Duration.ofSeconds(60), () -> stats.skippedUnchanged() > unchanged, stats::toString);
        assertThat(stats.textsEncoded()).isEqualTo(encoded);
    }

    @Test
    void shouldDropStaleChunksWhenADocumentShrinksAndEveryChunkOnDelete() {
        IndexStats stats = indexer.stats();
        publish("wing", doc("wing", "Wing lift", "A wing deflects air downwards and is pushed up in return.", 1));
        publish("bread", doc("bread", "Sourdough", "Wild yeast and lactic bacteria leaven sourdough bread.", 1));
        publish("long", doc("long", "Boundary layers", LONG_TEXT, 1));
        Await.until(Duration.ofSeconds(120), () -> stats.indexed() >= 3, stats::toString);
        assertThat(probe.countOf("long")).isGreaterThan(1);
        long indexed = stats.indexed();
        publish("long", doc("long", "Boundary layers", "Now a short text.", 2));
        Await.until(Duration.ofSeconds(60), () -> stats.indexed() > indexed, stats::toString);
        Await.until(Duration.ofSeconds(10), () -> probe.countOf("long") == 1, () -> "long has " + probe.countOf("long"));
        RetrievedPoint only = probe.all().stream()
                .filter(p -> p.getPayloadMap().get("doc_id").getStringValue().equals("long")).findFirst().orElseThrow();
        assertThat(only.getPayloadMap().get("version").getIntegerValue()).isEqualTo(2);
        assertThat(only.getPayloadMap().get("chunk").getIntegerValue()).isZero();

        long deleted = stats.deleted();
        publisher.delete("long");
        Await.until(Duration.ofSeconds(60), () -> stats.deleted() > deleted, stats::toString);
        assertThat(probe.countOf("long")).isZero();
        assertThat(probe.pointsPerDocument()).containsOnlyKeys("wing", "bread");
    }

    private String aliasTarget() {
        try {
            return client.listAliasesAsync().get().stream()
                    .filter(a -> a.getAliasName().equals(alias)).findFirst().orElseThrow().getCollectionName();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private List<ConsumerRecord<byte[], byte[]>> readDeadLetters(int expected) {
        Properties props = cfg.kafkaProperties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-dlq-reader-" + alias);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(cfg.topics().deadLetter()));
            Await.until(Duration.ofSeconds(30), () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
                return out.size() >= expected;
            }, () -> "dead letters, have " + out.size());
        }
        out.sort(java.util.Comparator.comparingLong(ConsumerRecord::timestamp));
        return out;
    }
}
