package dev.embedloop.index;

import dev.embedloop.chunk.Chunker;
import dev.embedloop.chunk.Tokenization;
import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.testing.FakeEncoder;
import dev.embedloop.testing.StreamsTestState;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The indexing topology on a {@link TopologyTestDriver} with a fake Qdrant, a clock the test moves
 * and document adapters by version: what the re-index and shadow tests drive. Batches of one
 * document; fills copy three points per step; whitespace tokens, chunks of four with one overlap.
 */
final class ReindexHarness implements AutoCloseable {

    static final Tokenization WHITESPACE = text -> {
        List<Tokenization.Span> spans = new ArrayList<>();
        Matcher m = Pattern.compile("\\S+").matcher(text);
        while (m.find()) {
            spans.add(new Tokenization.Span(m.start(), m.end()));
        }
        return spans;
    };

    final FakeEncoder encoder = new FakeEncoder();
    final ReindexTopologyTest.FakeCollections qdrant = new ReindexTopologyTest.FakeCollections();
    final IndexStats stats = new IndexStats();
    final AtomicLong now = new AtomicLong(1_000_000);
    final Map<String, LinearAdapter> adapters = new LinkedHashMap<>();
    final IndexTargets targets;
    final TopologyTestDriver driver;
    final TestInputTopic<byte[], byte[]> documents;

    ReindexHarness(String applicationId, ModelLineage lineage) {
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(now.get());
            }
        };
        targets = new IndexTargets(qdrant, Duration.ofMinutes(10), clock,
                (l, version) -> Optional.ofNullable(adapters.get(version)), stats);
        targets.start(lineage);
        IndexSettings settings = new IndexSettings("documents", "documents.dlq", 10_000, 1, Duration.ofMillis(100), 64,
                true, true, Duration.ofMinutes(10), 3);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.STATE_DIR_CONFIG, StreamsTestState.newDirectory());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(IndexingTopology.build(settings, encoder, new Chunker(WHITESPACE, 4, 1), targets,
                stats), props, Instant.ofEpochMilli(0));
        documents = driver.createInputTopic("documents", new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A document event: key = id, a JSON value with the text. */
    void publish(String id, String text) {
        documents.pipeInput(id.getBytes(StandardCharsets.UTF_8),
                ("{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    /** A delete: key = id, null value. */
    void delete(String id) {
        documents.pipeInput(id.getBytes(StandardCharsets.UTF_8), (byte[]) null);
    }

    /** A symmetric adapter that scales every axis by {@code factor}, alternating signs. */
    static LinearAdapter scaled(float factor) {
        int d = FakeEncoder.MODEL.dimension();
        float[] w = new float[d * d];
        for (int i = 0; i < d; i++) {
            w[i * d + i] = factor * (i % 2 == 0 ? 1 : -1);
        }
        return LinearAdapter.of(d, w, AdapterMode.SYMMETRIC, false);
    }

    @Override
    public void close() {
        driver.close();
    }
}
