package dev.embedloop.index;

import dev.embedloop.testing.StreamsTestState;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.chunk.Chunker;
import dev.embedloop.chunk.Tokenization;
import dev.embedloop.events.DeadLetterHeaders;
import dev.embedloop.events.Json;
import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.qdrant.PointIds;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.VectorSink;
import dev.embedloop.testing.QdrantLikeSink;
import dev.embedloop.testing.FakeEncoder;
import dev.embedloop.testing.InMemorySink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IndexingTopologyTest {

    private static final Tokenization WHITESPACE = text -> {
        List<Tokenization.Span> spans = new ArrayList<>();
        Matcher m = Pattern.compile("\\S+").matcher(text);
        while (m.find()) {
            spans.add(new Tokenization.Span(m.start(), m.end()));
        }
        return spans;
    };

    private final FakeEncoder encoder = new FakeEncoder();
    private final InMemorySink sink = new InMemorySink();
    private final IndexStats stats = new IndexStats();
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> documents;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    private void start(int batchDocuments, long maxTextBytes) {
        start(batchDocuments, maxTextBytes, sink, new Chunker(WHITESPACE, 4, 1));
    }

    private void start(int batchDocuments, long maxTextBytes, VectorSink sink, Chunker chunker) {
        IndexSettings settings = new IndexSettings("documents", "documents.dlq", maxTextBytes, batchDocuments,
                Duration.ofMillis(100), 3, true, true, Duration.ofHours(1), 2);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "indexing-test");
        props.put(StreamsConfig.STATE_DIR_CONFIG, StreamsTestState.newDirectory());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(IndexingTopology.build(settings, encoder, chunker, sink, stats), props,
                Instant.ofEpochMilli(0));
        documents = driver.createInputTopic("documents", new ByteArraySerializer(), new ByteArraySerializer());
        deadLetters = driver.createOutputTopic("documents.dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private void publish(String key, String json) {
        documents.pipeInput(bytes(key), json == null ? null : bytes(json));
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static String doc(String id, String text, Long version) {
        return "{\"id\":\"" + id + "\",\"title\":\"T " + id + "\",\"text\":\"" + text + "\""
                + (version == null ? "" : ",\"version\":" + version) + ",\"metadata\":{\"lang\":\"en\",\"n\":3}}";
    }

    @Test
    void shouldIndexDocumentAsChunkPointsWithPayload() {
        start(1, 1000);
        // title + text = 10 words; windows of 4 with overlap 1 → 3 chunks
        publish("d1", doc("d1", "one two three four five six seven eight", 7L));

        List<ChunkPoint> points = sink.pointsOf("d1");
        assertThat(points).extracting(ChunkPoint::chunk).containsExactly(0, 1, 2);
        ChunkPoint first = points.get(0);
        assertThat(first.pointId()).isEqualTo(PointIds.of("d1", 0));
        assertThat(first.title()).isEqualTo("T d1");
        assertThat(first.text()).isEqualTo("T d1 one two");
        assertThat(first.version()).isEqualTo(7L);
        assertThat(first.modelVersion()).isEqualTo("fake-1");
        assertThat(first.metadata().get("lang").asText()).isEqualTo("en");
        assertThat(first.vector()).isEqualTo(encoder.vector("T d1 one two"));
        assertThat(stats.indexed()).isEqualTo(1);
    }

    @Test
    void shouldWritePendingDocumentsWhenThePunctuatorFires() {
        start(16, 1000);
        publish("a", doc("a", "alpha", null));
        publish("b", doc("b", "beta", null));
        assertThat(sink.size()).isZero();

        driver.advanceWallClockTime(Duration.ofMillis(100));

        assertThat(sink.countsByDocument()).containsOnlyKeys("a", "b");
    }

    @Test
    void shouldRouteEveryBadInputClassToDeadLetterTopicAndIndexTheRest() throws Exception {
        start(1, 40);
        byte[] badUtf8 = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        publish("ok1", doc("ok1", "fine", null));
        publish("j", "{not json");
        documents.pipeInput(bytes("u"), badUtf8);
        publish("w", "{\"text\": 42}");
        publish("v", "{\"text\": \"x\", \"version\": \"7\"}");
        publish("m", "{\"text\": \"x\", \"metadata\": [1]}");
        publish("e", "{\"text\": \"   \"}");
        publish("n", "{\"title\": \"no text\"}");
        publish("t", "{\"title\": \"a title alone\", \"text\": \"\"}");
        publish("k", "{\"id\": \"other\", \"text\": \"x\"}");
        publish("big", "{\"text\": \"" + "y".repeat(41) + "\"}");
        documents.pipeInput((byte[]) null, bytes("{\"text\": \"no key\"}"));
        publish("arr", "[1,2]");
        publish("ok2", doc("ok2", "also fine", null));

        List<TestRecord<byte[], byte[]>> letters = deadLetters.readRecordsToList();
        List<String> errors = letters.stream().map(r -> header(r, DeadLetterHeaders.ERROR)).toList();
        assertThat(errors).containsExactly("BAD_JSON", "INVALID_UTF8", "WRONG_TYPE", "WRONG_TYPE", "WRONG_TYPE",
                "MISSING_TEXT", "MISSING_TEXT", "ID_MISMATCH", "TEXT_TOO_LARGE", "MISSING_KEY", "BAD_JSON");
        assertThat(sink.countsByDocument()).containsOnlyKeys("ok1", "t", "ok2");
        assertThat(sink.pointsOf("t")).extracting(ChunkPoint::text).containsExactly("a title alone");
        assertThat(stats.deadLettered()).isEqualTo(11);

        TestRecord<byte[], byte[]> utf8 = letters.get(1);
        JsonNode body = Json.MAPPER.readTree(new String(utf8.value(), StandardCharsets.UTF_8));
        assertThat(body.get("reason").asText()).contains("UTF-8");
        assertThat(body.get("topic").asText()).isEqualTo("documents");
        assertThat(body.get("offset").asLong()).isEqualTo(2);
        assertThat(Base64.getDecoder().decode(body.get("value_base64").asText())).isEqualTo(badUtf8);
        assertThat(header(utf8, DeadLetterHeaders.OFFSET)).isEqualTo("2");
        assertThat(header(utf8, DeadLetterHeaders.TOPIC)).isEqualTo("documents");
        assertThat(header(utf8, DeadLetterHeaders.REASON)).isEqualTo(body.get("reason").asText());
        assertThat(utf8.key()).isEqualTo(bytes("u"));
        JsonNode mismatch = Json.MAPPER.readTree(new String(letters.get(7).value(), StandardCharsets.UTF_8));
        assertThat(mismatch.get("reason").asText()).contains("other").contains("k");
    }

    @Test
    void shouldSkipStaleVersions() {
        start(1, 1000);
        publish("d", doc("d", "new text", 5L));
        publish("d", doc("d", "old text", 4L));

        assertThat(sink.pointsOf("d").get(0).text()).contains("new");
        assertThat(stats.skippedStale()).isEqualTo(1);
    }

    @Test
    void shouldNotReencodeUnchangedContent() {
        start(1, 1000);
        publish("d", doc("d", "same text", 1L));
        int encoded = encoder.encodedTexts();
        publish("d", doc("d", "same text", 2L));
        publish("d", doc("d", "same text", 2L));

        assertThat(encoder.encodedTexts()).isEqualTo(encoded);
        assertThat(stats.skippedUnchanged()).isEqualTo(2);
        // a newer version with the same content raises the stored version: version 1 is now stale
        publish("d", doc("d", "other text", 1L));
        assertThat(stats.skippedStale()).isEqualTo(1);
    }

    @Test
    void shouldDeleteEveryChunkOnTombstone() {
        start(1, 1000);
        publish("d", doc("d", "one two three four five six seven eight", null));
        publish("keep", doc("keep", "x", null));
        assertThat(sink.pointsOf("d")).hasSize(3);

        publish("d", null);

        assertThat(sink.pointsOf("d")).isEmpty();
        assertThat(sink.countsByDocument()).containsOnlyKeys("keep");
        // after a delete the document can come back
        publish("d", doc("d", "back", null));
        assertThat(sink.pointsOf("d")).hasSize(1);
    }

    @Test
    void shouldDropStaleChunksWhenDocumentShrinks() {
        start(1, 1000);
        publish("d", doc("d", "one two three four five six seven eight", 1L));
        assertThat(sink.pointsOf("d")).hasSize(3);

        publish("d", doc("d", "short now", 2L));

        assertThat(sink.pointsOf("d")).extracting(ChunkPoint::chunk).containsExactly(0);
        assertThat(sink.pointsOf("d").get(0).version()).isEqualTo(2L);
    }

    @Test
    void shouldKeepChangesPendingWhileTheSinkFailsAndWriteThemAfterwards() {
        start(2, 1000);
        publish("d", doc("d", "text", null));
        sink.failWith(new IllegalStateException("qdrant down"));

        // in a real application the failed stream thread is replaced and the new one writes what is pending
        assertThatThrownBy(() -> driver.advanceWallClockTime(Duration.ofMillis(100)))
                .isInstanceOf(StreamsException.class);
        assertThat(sink.size()).isZero();
        KeyValueStore<String, DocumentChange> pending = driver.getKeyValueStore(IndexingTopology.PENDING_STORE);
        assertThat(pending.get("d")).isNotNull();

        sink.recover();
        publish("e", doc("e", "more", null));
        assertThat(sink.countsByDocument()).containsOnlyKeys("d", "e");
        assertThat(pending.get("d")).isNull();
        assertThat(stats.deadLettered()).isZero();
    }

    @Test
    void shouldDeadLetterOnlyTheDocumentQdrantRefusesAndWriteItsNeighbours() throws Exception {
        QdrantLikeSink strict = new QdrantLikeSink(FakeEncoder.MODEL.dimension());
        start(32, 10_000, strict, new Chunker(WHITESPACE, 4, 1));
        for (int i = 0; i < 32; i++) {
            publish("d" + i, doc("d" + i, i == 17 ? "a " + QdrantLikeSink.REJECT_MARKER + " b" : "text of " + i, null));
        }

        List<TestRecord<byte[], byte[]>> letters = deadLetters.readRecordsToList();
        assertThat(letters).hasSize(1);
        JsonNode body = Json.MAPPER.readTree(letters.get(0).value());
        assertThat(body.get("error").asText()).isEqualTo("QDRANT_REJECTED");
        assertThat(body.get("stage").asText()).isEqualTo("write");
        assertThat(body.get("offset").asLong()).isEqualTo(17);
        assertThat(body.get("topic").asText()).isEqualTo("documents");
        assertThat(body.get("value_origin").asText()).isEqualTo("event");
        assertThat(header(letters.get(0), DeadLetterHeaders.OFFSET)).isEqualTo("17");
        assertThat(letters.get(0).key()).isEqualTo(bytes("d17"));
        assertThat(strict.countsByDocument()).hasSize(31).doesNotContainKey("d17");
        assertThat(stats.indexed()).isEqualTo(31);
        assertThat(stats.accounted()).isEqualTo(stats.received()).isEqualTo(32);
        assertThat(stats.writeRetries()).isPositive();
    }

    @Test
    void shouldDeadLetterADocumentQdrantKeepsFailingOnOnlyWhileItAnswersOtherRequests() throws Exception {
        QdrantLikeSink strict = new QdrantLikeSink(FakeEncoder.MODEL.dimension());
        start(4, 10_000, strict, new Chunker(WHITESPACE, 4, 1));
        publish("a", doc("a", "alpha", null));
        publish("b", doc("b", "x " + QdrantLikeSink.AMBIGUOUS_MARKER, null));
        publish("c", doc("c", "gamma", null));
        publish("d", doc("d", "delta", null));

        assertThat(deadLetters.readRecordsToList()).singleElement()
                .satisfies(r -> assertThat(header(r, DeadLetterHeaders.ERROR)).isEqualTo("QDRANT_REJECTED"));
        assertThat(strict.countsByDocument()).containsOnlyKeys("a", "c", "d");
        assertThat(strict.probes()).isPositive();
    }

    @Test
    void shouldKeepADocumentPendingWhenTheStoreFailsEverythingAmbiguously() {
        start(1, 1000);
        sink.failWith(new Qdrant.QdrantException("upsert failed: INTERNAL Service internal error", null,
                Qdrant.Failure.AMBIGUOUS));
        assertThatThrownBy(() -> publish("d", doc("d", "text", null))).isInstanceOf(StreamsException.class);
        assertThat(deadLetters.isEmpty()).isTrue();
        KeyValueStore<String, DocumentChange> pending = driver.getKeyValueStore(IndexingTopology.PENDING_STORE);
        assertThat(pending.get("d")).isNotNull();
        sink.recover();
        publish("e", doc("e", "more", null));
        assertThat(sink.countsByDocument()).containsOnlyKeys("d", "e");
    }

    @Test
    void shouldRemoveADocumentRefusedAfterSomeOfItsPointsWereWrittenAndKeepOneRefusedBefore() {
        QdrantLikeSink strict = new QdrantLikeSink(FakeEncoder.MODEL.dimension());
        start(1, 10_000, strict, new Chunker(WHITESPACE, 4, 1));
        publish("long", doc("long", "one two three four five six seven eight nine ten", 1L));
        publish("short", doc("short", "fine", 1L));
        assertThat(strict.pointsOf("long")).hasSize(4);

        // slices of 3 points: the marker's chunk is in the second slice, after the first was acknowledged
        publish("long", doc("long", "one two three four five six seven eight nine " + QdrantLikeSink.REJECT_MARKER, 2L));
        assertThat(strict.pointsOf("long")).as("no mix of two versions").isEmpty();
        // refused at its first slice: the previous version stays
        publish("short", doc("short", QdrantLikeSink.REJECT_MARKER, 2L));
        assertThat(strict.pointsOf("short")).singleElement().satisfies(p -> assertThat(p.version()).isEqualTo(1L));
        assertThat(deadLetters.readRecordsToList()).extracting(r -> header(r, DeadLetterHeaders.ERROR))
                .containsExactly("QDRANT_REJECTED", "QDRANT_REJECTED");
        // the removed document comes back with a good event
        publish("long", doc("long", "back again", 3L));
        assertThat(strict.pointsOf("long")).hasSize(1);
    }

    @Test
    void shouldDeadLetterADocumentTheChunkerFailsOnOrFindsNoTokenIn() throws Exception {
        Tokenization buggy = text -> {
            if (text.contains("boom")) {
                throw new StringIndexOutOfBoundsException("begin 0, end 7, length 5");
            }
            return text.contains("silent") ? List.of() : WHITESPACE.spans(text);
        };
        start(8, 1000, sink, new Chunker(buggy, 4, 1));
        publish("a", doc("a", "fine", null));
        publish("b", doc("b", "boom", null));
        publish("c", doc("c", "silent", null));
        publish("d", doc("d", "also fine", null));
        driver.advanceWallClockTime(Duration.ofMillis(100));

        List<TestRecord<byte[], byte[]>> letters = deadLetters.readRecordsToList();
        assertThat(letters).extracting(r -> header(r, DeadLetterHeaders.ERROR)).containsExactly("CHUNK_FAILED", "MISSING_TEXT");
        assertThat(letters).extracting(r -> header(r, DeadLetterHeaders.STAGE)).containsExactly("chunk", "chunk");
        assertThat(sink.countsByDocument()).containsOnlyKeys("a", "d");
        assertThat(stats.accounted()).isEqualTo(4);
    }

    @Test
    void shouldDeadLetterADocumentTheEncoderFailsOnAndEncodeTheOthers() {
        FakeEncoder fake = new FakeEncoder();
        dev.embedloop.encode.TextEncoder failing = new IndexingFuzzTest.PoisonableEncoder(fake);
        IndexSettings settings = new IndexSettings("documents", "documents.dlq", 1000, 8,
                Duration.ofMillis(100), 16, true, true, Duration.ofHours(1), 2);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "indexing-test");
        props.put(StreamsConfig.STATE_DIR_CONFIG, StreamsTestState.newDirectory());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(IndexingTopology.build(settings, failing, new Chunker(WHITESPACE, 4, 1), sink, stats),
                props, Instant.ofEpochMilli(0));
        documents = driver.createInputTopic("documents", new ByteArraySerializer(), new ByteArraySerializer());
        deadLetters = driver.createOutputTopic("documents.dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        for (int i = 0; i < 8; i++) {
            publish("d" + i, doc("d" + i, i == 3 ? dev.embedloop.testing.DocumentFuzz.ENCODER_POISON : "text " + i, null));
        }
        assertThat(deadLetters.readRecordsToList()).singleElement()
                .satisfies(r -> assertThat(header(r, DeadLetterHeaders.ERROR)).isEqualTo("ENCODE_FAILED"));
        assertThat(sink.countsByDocument()).hasSize(7).doesNotContainKey("d3");
    }

    @Test
    void shouldAccountForEveryRecordExactlyOnce() {
        start(16, 1000);
        publish("a", doc("a", "first", 2L));
        publish("a", doc("a", "second", 3L));   // supersedes the pending first
        publish("a", doc("a", "older", 1L));    // stale
        publish("b", null);                      // deleted
        publish("c", "{\"text\": 1}");          // dead-lettered
        driver.advanceWallClockTime(Duration.ofMillis(100));
        publish("a", doc("a", "second", 3L));   // unchanged

        assertThat(stats.received()).isEqualTo(6);
        assertThat(stats.indexed()).isEqualTo(1);
        assertThat(stats.skippedSuperseded()).isEqualTo(1);
        assertThat(stats.skippedStale()).isEqualTo(1);
        assertThat(stats.skippedUnchanged()).isEqualTo(1);
        assertThat(stats.deleted()).isEqualTo(1);
        assertThat(stats.deadLettered()).isEqualTo(1);
        assertThat(stats.accounted()).isEqualTo(stats.received());
        assertThat(stats.inFlight()).isZero();
    }

    @Test
    void shouldCoalesceRepeatedChangesOfOneDocumentBeforeTheyAreWritten() {
        start(16, 1000);
        publish("d", doc("d", "first", 1L));
        publish("d", doc("d", "second", 2L));
        publish("d", null);
        publish("d", doc("d", "third", 3L));
        driver.advanceWallClockTime(Duration.ofMillis(100));

        assertThat(sink.pointsOf("d")).singleElement().satisfies(p -> assertThat(p.text()).contains("third"));
        assertThat(encoder.encodedTexts()).isEqualTo(1);
        assertThat(stats.skippedSuperseded()).isEqualTo(3);
        assertThat(stats.accounted()).isEqualTo(stats.received());
    }

    private static String header(TestRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
