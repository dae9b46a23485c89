package dev.embedloop.index;

import dev.embedloop.testing.StreamsTestState;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.chunk.Chunker;
import dev.embedloop.chunk.Tokenization;
import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.EncoderException;
import dev.embedloop.encode.HfTokenization;
import dev.embedloop.encode.ModelDescriptor;
import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.events.DeadLetterFactory;
import dev.embedloop.events.Json;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.testing.DocumentFuzz;
import dev.embedloop.testing.FakeEncoder;
import dev.embedloop.testing.QdrantLikeSink;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generated fuzz test of the whole indexing topology: at least 10,000 seeded random records of
 * every class of input (see {@link DocumentFuzz}) through the real topology, the real MiniLM
 * tokenizer-based chunker, a fake encoder and a sink that refuses what Qdrant refuses, with
 * transient sink failures injected along the way. No exception other than an injected transient
 * one may escape, nothing may stay pending, every record must end in exactly one outcome (the
 * counters add up and no record is dead-lettered twice), every invalid class with its exact error,
 * and every valid document must be in the sink.
 *
 * <p>A new seed every run; it is printed, and {@code -Dfuzz.seed=N} replays one
 * ({@code -Dfuzz.records=N} changes the count).
 */
class IndexingFuzzTest {

    static final long MAX_TEXT_BYTES = 256 * 1024;
    /** Probability that a sink call fails with an injected UNAVAILABLE. */
    static final double TRANSIENT_P = 0.003;

    static HfTokenization tokenization;
    static ModelDescriptor descriptor;

    @BeforeAll
    static void load() throws Exception {
        ModelDirectory model = BundledModels.standard().bundled(BundledModels.MINILM_Q);
        tokenization = HfTokenization.forModel(model);
        descriptor = model.descriptor();
    }

    @AfterAll
    static void close() {
        tokenization.close();
    }

    @Test
    void everyRecordEndsInExactlyOneOutcomeAndEveryValidDocumentIsIndexed() {
        long seed = Long.getLong("fuzz.seed", new SecureRandom().nextLong());
        int records = Integer.getInteger("fuzz.records", 10_000);
        System.out.println("IndexingFuzzTest: seed " + seed + " (replay with -Dfuzz.seed=" + seed + "), " + records + " records");
        try {
            run(seed, records);
        } catch (Throwable t) {
            throw new AssertionError("fuzz run with seed " + seed + " failed (replay with -Dfuzz.seed=" + seed + "): "
                    + t.getMessage(), t);
        }
    }

    private void run(long seed, int records) throws Exception {
        long start = System.nanoTime();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuStart = threads.getCurrentThreadCpuTime();
        DocumentFuzz fuzz = new DocumentFuzz(seed, new DocumentFuzz.Options(MAX_TEXT_BYTES, true, true));
        List<DocumentFuzz.Case> cases = fuzz.generate(records);
        System.out.println("IndexingFuzzTest: generated in " + (System.nanoTime() - start) / 1_000_000 + " ms");

        Tokenization poisonable = text -> {
            if (text.contains(DocumentFuzz.CHUNKER_POISON)) {
                throw new StringIndexOutOfBoundsException("a bug of the chunker on this input (test poison)");
            }
            return tokenization.spans(text);
        };
        Chunker chunker = new Chunker(poisonable, tokenization.maxContentTokens(descriptor), 32);
        TextEncoder encoder = new PoisonableEncoder(new FakeEncoder());
        QdrantLikeSink sink = new QdrantLikeSink(FakeEncoder.MODEL.dimension());
        sink.failTransiently(TRANSIENT_P, seed);
        IndexStats stats = new IndexStats();
        IndexSettings settings = new IndexSettings("documents", "documents.dlq", MAX_TEXT_BYTES, 32,
                Duration.ofMillis(100), 128, true, true, Duration.ofHours(1), 64);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "indexing-fuzz");
        props.put(StreamsConfig.STATE_DIR_CONFIG, StreamsTestState.newDirectory());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        int injected = 0;
        Map<Integer, List<String>> letters = new HashMap<>();
        Map<Integer, JsonNode> bodies = new HashMap<>();
        try (TopologyTestDriver driver = new TopologyTestDriver(
                IndexingTopology.build(settings, encoder, chunker, sink, stats), props, Instant.ofEpochMilli(0))) {
            TestInputTopic<byte[], byte[]> documents =
                    driver.createInputTopic("documents", new ByteArraySerializer(), new ByteArraySerializer());
            TestOutputTopic<byte[], byte[]> deadLetters =
                    driver.createOutputTopic("documents.dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
            Random clock = new Random(seed);
            for (int i = 0; i < cases.size(); i++) {
                DocumentFuzz.Case c = cases.get(i);
                if (i == cases.size() / 2) {
                    sink.failNextCalls(3); // at least one outage, whatever the dice say
                }
                injected += transientOnly(() -> documents.pipeInput(c.key(), c.value()));
                if (clock.nextInt(40) == 0) {
                    // no injected failure inside a punctuation: the test driver drops a punctuator that
                    // throws, where Kafka Streams replaces the thread and schedules it again
                    sink.suspendFailures(true);
                    driver.advanceWallClockTime(Duration.ofMillis(clock.nextInt(200)));
                    sink.suspendFailures(false);
                }
            }
            // Qdrant is back: what is pending must be written, without any new input (no stall)
            sink.suspendFailures(true);
            for (int tick = 0; tick < 20 && stats.inFlight() > 0; tick++) {
                driver.advanceWallClockTime(Duration.ofMillis(100));
            }

            for (TestRecord<byte[], byte[]> letter : deadLetters.readRecordsToList()) {
                JsonNode body = Json.MAPPER.readTree(letter.value());
                int offset = body.get("offset").asInt();
                assertThat(offset).as("dead letter %s points at its record", body).isBetween(0, cases.size() - 1);
                letters.computeIfAbsent(offset, k -> new ArrayList<>()).add(body.get("error").asText());
                bodies.put(offset, body);
                long size = (letter.key() == null ? 0 : letter.key().length) + letter.value().length;
                for (Header h : letter.headers()) {
                    size += h.key().length() + h.value().length;
                }
                assertThat(size).as("dead letter of record %d fits", offset)
                        .isLessThanOrEqualTo(DeadLetterFactory.maxLetterBytes(settings.deadLetterMaxValueBytes()))
                        .isLessThan(1_000_000);
            }
        }

        List<String> problems = DocumentFuzz.check(cases, letters, id -> !sink.pointsOf(id).isEmpty());
        long seconds = (System.nanoTime() - start) / 1_000_000_000;
        long cpuSeconds = (threads.getCurrentThreadCpuTime() - cpuStart) / 1_000_000_000;
        System.out.println("IndexingFuzzTest: " + cases.size() + " records in " + seconds + " s (" + cpuSeconds
                + " s CPU on the test thread); " + stats + "; sink "
                + sink.size() + " points, " + sink.rejections() + " refusals, " + sink.probes() + " probes, "
                + injected + " injected transient failures escaped; classes " + fuzz.kinds());
        assertThat(problems).as("records whose outcome is wrong").isEmpty();
        assertThat(stats.received()).as("received").isEqualTo(cases.size());
        assertThat(stats.inFlight()).as("still pending (a stall)").isZero();
        assertThat(stats.accounted()).as("indexed + deleted + skipped + dead-lettered = received: " + stats)
                .isEqualTo(stats.received());
        assertThat(stats.deadLettered()).as("dead letters counted = written").isEqualTo(letters.values().stream().mapToInt(List::size).sum());
        assertThat(injected).as("transient failures were injected and survived").isPositive();
        // a letter keeps a large value's first bytes, its length and its hash
        for (Map.Entry<Integer, JsonNode> e : bodies.entrySet()) {
            byte[] value = cases.get(e.getKey()).value();
            JsonNode body = e.getValue();
            if (value != null && "record".equals(body.path("value_origin").asText())) {
                assertThat(body.get("value_length").asLong()).isEqualTo(value.length);
                assertThat(body.get("value_sha256").asText()).isEqualTo(sha256(value));
                assertThat(body.get("value_truncated").asBoolean()).isEqualTo(value.length > settings.deadLetterMaxValueBytes());
            }
        }
        // the topology runs on this thread: its CPU time is the run's cost, whatever else loads the machine
        assertThat(cpuSeconds).as("fuzz run CPU time").isLessThan(60);
    }

    /** Runs {@code step}; an escaping injected transient failure (the thread would be replaced) counts 1. */
    private static int transientOnly(Runnable step) {
        try {
            step.run();
            return 0;
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof Qdrant.QdrantException q && q.transientFailure()) {
                    return 1;
                }
            }
            throw e;
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** The fake encoder, failing (as an inference error would) on any batch holding the poison marker. */
    static final class PoisonableEncoder implements TextEncoder {
        private final TextEncoder delegate;

        PoisonableEncoder(TextEncoder delegate) {
            this.delegate = delegate;
        }

        @Override
        public ModelDescriptor model() {
            return delegate.model();
        }

        @Override
        public List<float[]> encodeDocuments(List<String> texts) {
            for (String text : texts) {
                if (text.contains(DocumentFuzz.ENCODER_POISON)) {
                    throw new EncoderException("encoding failed",
                            new java.util.concurrent.ExecutionException(new IllegalArgumentException("test poison")));
                }
            }
            return delegate.encodeDocuments(texts);
        }

        @Override
        public float[] encodeQuery(String text) {
            return delegate.encodeQuery(text);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
