package dev.embedloop.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.events.Json;
import dev.embedloop.index.IndexStats;
import dev.embedloop.index.Indexer;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.testing.Await;
import dev.embedloop.testing.DocumentFuzz;
import dev.embedloop.testing.QdrantProbe;
import dev.embedloop.testing.TestRecords;
import io.qdrant.client.QdrantClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated fuzz corpus (see {@link DocumentFuzz}) against the real thing: the in-process Kafka
 * broker, the Qdrant local mode, the indexer as {@code ./embedloop index} runs it (quantized MiniLM),
 * at least 1,000 records plus one 20 MiB text. Accounting is exact and checked outside the indexer:
 * every record is either in the dead-letter topic exactly once (with the expected class, pointing
 * at its partition and offset) or its document's points are in Qdrant, as its class says.
 *
 * <p>A new seed every run, printed; {@code -Dfuzz.seed=N} replays one, {@code -Dfuzz.it.records=N}
 * changes the count.
 */
class IndexingFuzzIT {

    @TempDir
    static Path state;

    @Test
    void everyRecordIsDeadLetteredOnceOrIndexedAndTheIndexerKeepsRunning() throws Exception {
        long seed = Long.getLong("fuzz.seed", new SecureRandom().nextLong());
        int records = Integer.getInteger("fuzz.it.records", 1000);
        System.out.println("IndexingFuzzIT: seed " + seed + " (replay with -Dfuzz.seed=" + seed + "), " + records + " records");
        try {
            run(seed, records);
        } catch (Throwable t) {
            throw new AssertionError("fuzz run with seed " + seed + " failed (replay with -Dfuzz.seed=" + seed + "): "
                    + t.getMessage(), t);
        }
    }

    private void run(long seed, int records) throws Exception {
        EmbedloopConfig base = ConfigLoader.defaults();
        try (EmbeddedServices services = EmbeddedServices.start(base, 0, 0, null)) {
            EmbedloopConfig cfg = services.configure(base).with(Map.of(
                    "kafka.state.dir", state.toString(),
                    "kafka.application.id", "fuzz-it-indexer",
                    "model", "all-minilm-l6-v2-q",
                    "qdrant.collection", "fuzz"));
            long maxTextBytes = Long.parseLong(cfg.values().get("index.max-text-bytes"));
            List<DocumentFuzz.Case> cases = new ArrayList<>();
            for (DocumentFuzz.Case c : new DocumentFuzz(seed, new DocumentFuzz.Options(maxTextBytes, false, false)).generate(records)) {
                // the documents topic is compacted: the broker itself refuses a record without a key
                // (kcat sees the error); an empty key is the nearest that reaches the indexer
                cases.add(c.key() != null ? c : new DocumentFuzz.Case(c.kind(), new byte[0], c.value(), c.outcome(), c.error(),
                        c.id(), c.finalPresent()));
            }
            // the issue's 20 MiB text: over the text limit, under the broker's; its dead letter must fit
            byte[] huge = hugeDocument(20 * 1024 * 1024);
            cases.add(cases.size() / 2, new DocumentFuzz.Case("text-20-mib", DocumentFuzz.bytes("huge-20mib"), huge,
                    DocumentFuzz.Outcome.DEAD_LETTER, "TEXT_TOO_LARGE", "huge-20mib", false));

            try (Models models = Models.open(cfg);
                    QdrantClient client = Qdrant.connect(cfg.qdrant());
                    Indexer indexer = Indexer.start(cfg, models, client)) {
                assertThat(indexer.awaitRunning(Duration.ofSeconds(120))).as("indexer reached RUNNING").isTrue();
                Map<String, Integer> caseAt = publish(cfg, cases);

                IndexStats stats = indexer.stats();
                Await.until(Duration.ofMinutes(10),
                        () -> stats.accounted() >= cases.size() && stats.inFlight() == 0 || indexer.stopped(),
                        () -> "every record accounted for: " + stats);
                assertThat(indexer.stopped()).as("the indexer is still running").isFalse();

                Map<Integer, List<String>> letters = new HashMap<>();
                Map<Integer, JsonNode> bodies = new HashMap<>();
                List<ConsumerRecord<byte[], byte[]>> dlq = readDeadLetters(cfg, stats.deadLettered());
                for (ConsumerRecord<byte[], byte[]> r : dlq) {
                    JsonNode body = Json.MAPPER.readTree(r.value());
                    Integer index = caseAt.get(body.get("partition").asInt() + "@" + body.get("offset").asLong());
                    assertThat(index).as("dead letter %s points at a published record", body.get("error")).isNotNull();
                    letters.computeIfAbsent(index, k -> new ArrayList<>()).add(body.get("error").asText());
                    bodies.put(index, body);
                }
                Map<String, Integer> points = new QdrantProbe(client, "fuzz").pointsPerDocument();
                List<String> problems = DocumentFuzz.check(cases, letters, points::containsKey);
                System.out.println("IndexingFuzzIT: " + cases.size() + " records; " + stats + "; " + dlq.size()
                        + " dead letters, " + points.size() + " documents in Qdrant");
                assertThat(problems).as("records whose outcome is wrong").isEmpty();
                assertThat(stats.received()).isEqualTo(cases.size());
                assertThat(stats.accounted()).as("indexed + deleted + skipped + dead-lettered = received")
                        .isEqualTo(stats.received());
                assertThat(dlq).as("the dead-letter topic holds exactly the dead-lettered records").hasSize((int) stats.deadLettered());

                JsonNode hugeLetter = bodies.get(cases.indexOf(cases.stream().filter(c -> c.kind().equals("text-20-mib")).findFirst().orElseThrow()));
                assertThat(hugeLetter.get("value_truncated").asBoolean()).isTrue();
                assertThat(hugeLetter.get("value_length").asLong()).isEqualTo(huge.length);
                assertThat(hugeLetter.get("value_sha256").asText())
                        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(huge)));
            }
        }
    }

    private static byte[] hugeDocument(int textBytes) {
        StringBuilder sb = new StringBuilder(textBytes + 32).append("{\"text\":\"");
        String words = "boundary layer heat transfer ";
        while (sb.length() < textBytes + 9) {
            sb.append(words);
        }
        sb.setLength(textBytes + 9);
        return sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Publishes every case in order; partition@offset → case index. */
    private static Map<String, Integer> publish(EmbedloopConfig cfg, List<DocumentFuzz.Case> cases) throws Exception {
        Properties props = cfg.kafkaProperties();
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Long.toString(cfg.topics().maxRecordBytes()));
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(4 * cfg.topics().maxRecordBytes()));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        Map<String, Integer> caseAt = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>(cases.size());
            for (int i = 0; i < cases.size(); i++) {
                DocumentFuzz.Case c = cases.get(i);
                // every 25th record has no timestamp (as clients in other languages can send), the very
                // first among them, before its partition has a time
                sent.add(producer.send(i % 25 == 0 ? TestRecords.withoutTimestamp(cfg.topics().documents(), c.key(), c.value())
                        : new ProducerRecord<>(cfg.topics().documents(), c.key(), c.value())));
            }
            for (int i = 0; i < sent.size(); i++) {
                RecordMetadata m = sent.get(i).get();
                caseAt.put(m.partition() + "@" + m.offset(), i);
            }
        }
        return caseAt;
    }

    private static List<ConsumerRecord<byte[], byte[]>> readDeadLetters(EmbedloopConfig cfg, long expected) {
        Properties props = cfg.kafkaProperties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "fuzz-dlq-reader");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(cfg.topics().deadLetter()));
            Await.until(Duration.ofSeconds(60), () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
                return out.size() >= expected;
            }, () -> "dead letters, have " + out.size() + " of " + expected);
            // nothing more than counted
            for (int i = 0; i < 5; i++) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
