package dev.embedloop.feedback;

import dev.embedloop.testing.StreamsTestState;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetterHeaders;
import dev.embedloop.events.Impression;
import dev.embedloop.events.Json;
import dev.embedloop.events.TrainingExample;
import dev.embedloop.feedback.FeedbackStats.DropReason;
import dev.embedloop.feedback.FeedbackStats.NegativeDropReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FeedbackTopologyTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final String APP = "feedback-test";
    private static final Duration WINDOW = Duration.ofSeconds(60);

    private final FeedbackStats stats = new FeedbackStats();
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> impressions;
    private TestInputTopic<byte[], byte[]> clicks;
    private TestInputTopic<byte[], byte[]> documents;
    private TestOutputTopic<String, String> trainingPairs;
    private TestOutputTopic<String, String> deadLetters;

    private void start(TestSettings settings) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
        props.put(StreamsConfig.STATE_DIR_CONFIG, StreamsTestState.newDirectory());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(FeedbackTopology.build(settings.build(), stats), props, Instant.ofEpochMilli(T0));
        ByteArraySerializer bytes = new ByteArraySerializer();
        impressions = driver.createInputTopic(settings.impressions, bytes, bytes, Instant.ofEpochMilli(T0), Duration.ZERO);
        clicks = driver.createInputTopic(settings.clicks, bytes, bytes, Instant.ofEpochMilli(T0), Duration.ZERO);
        documents = driver.createInputTopic(settings.documents, bytes, bytes, Instant.ofEpochMilli(T0), Duration.ZERO);
        trainingPairs = driver.createOutputTopic(settings.trainingPairs, new StringDeserializer(), new StringDeserializer());
        deadLetters = driver.createOutputTopic(settings.deadLetter, new StringDeserializer(), new StringDeserializer());
    }

    /** Starts with documents d1…d{n} published: title "T dN", text "text of dN". */
    private void startWithDocs(TestSettings settings, int n) {
        start(settings);
        for (int i = 1; i <= n; i++) {
            doc("d" + i, "text of d" + i, null);
        }
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    // ---------------------------------------------------------------- inputs

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private void doc(String id, String text, Long version) {
        String json = "{\"id\":\"" + id + "\",\"title\":\"T " + id + "\",\"text\":\"" + text + "\""
                + (version == null ? "" : ",\"version\":" + version) + "}";
        documents.pipeInput(bytes(id), bytes(json));
    }

    private void deleteDoc(String id) {
        documents.pipeInput(bytes(id), (byte[]) null);
    }

    private void impression(String queryId, String query, String user, String... docIds) {
        impressionWithSession(queryId, query, user, null, docIds);
    }

    private void impressionWithSession(String queryId, String query, String user, String session, String... docIds) {
        List<Impression.Result> results = new ArrayList<>();
        for (int i = 0; i < docIds.length; i++) {
            results.add(new Impression.Result(docIds[i], i + 1, 1.0 - i / 100.0));
        }
        impressions.pipeInput(bytes(queryId),
                Json.write(new Impression(queryId, query, user, session, "m@1", results, T0 - 5)));
    }

    private byte[] click(String queryId, String docId, int rank, Long dwellMs) {
        byte[] value = Json.write(new Click(queryId, docId, rank, dwellMs, T0 + 1));
        clicks.pipeInput(bytes(queryId), value);
        return value;
    }

    private void advance(Duration d) {
        driver.advanceWallClockTime(d);
    }

    private void closeWindows() {
        advance(WINDOW);
    }

    // ---------------------------------------------------------------- outputs

    private List<TrainingExample> examples() {
        List<TrainingExample> out = new ArrayList<>();
        for (TestRecord<String, String> r : trainingPairs.readRecordsToList()) {
            TrainingExample e = Json.read(bytes(r.value()), TrainingExample.class);
            assertThat(r.key()).isEqualTo(e.queryId());
            out.add(e);
        }
        return out;
    }

    private static List<String> negativeIds(TrainingExample e) {
        return e.negatives().stream().map(TrainingExample.Negative::id).toList();
    }

    private static String header(TestRecord<String, String> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static JsonNode body(TestRecord<String, String> r) throws Exception {
        return Json.MAPPER.readTree(r.value());
    }

    private int entries(String storeName) {
        KeyValueStore<String, Object> store = driver.getKeyValueStore(storeName);
        int n = 0;
        try (KeyValueIterator<String, Object> it = store.all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- window

    @Test
    void shouldEmitNothingBeforeTheWindowClosesAndExactlyOnceAfter() {
        startWithDocs(new TestSettings(), 3);
        impression("q1", "wing flutter", "u1", "d1", "d2", "d3");
        click("q1", "d3", 3, null);

        advance(Duration.ofSeconds(59));
        assertThat(trainingPairs.isEmpty()).isTrue();
        assertThat(driver.getKeyValueStore(FeedbackTopology.PENDING_STORE).get("q1")).isNotNull();

        advance(Duration.ofSeconds(1));
        assertThat(examples()).singleElement().satisfies(e -> {
            assertThat(e.queryId()).isEqualTo("q1");
            assertThat(e.positive().id()).isEqualTo("d3");
        });
        assertThat(driver.getKeyValueStore(FeedbackTopology.PENDING_STORE).get("q1")).isNull();

        advance(Duration.ofMinutes(30));
        assertThat(trainingPairs.isEmpty()).isTrue();
        assertThat(stats.impressionsClosed()).isEqualTo(1);
        assertThat(stats.examplesEmitted()).isEqualTo(1);
        assertThat(stats.clicksJoined()).isEqualTo(1);
    }

    @Test
    void shouldCloseOnWallClockEvenWhenStreamTimeRunsAhead() {
        startWithDocs(new TestSettings(), 2);
        impression("q1", "x", "u1", "d1", "d2");
        click("q1", "d2", 2, null);
        // far-future record timestamps move stream time, which must not close the window
        impressions.pipeInput(bytes("q2"), Json.write(new Impression("q2", "y", null, null, "m@1",
                List.of(new Impression.Result("d1", 1, 0.0)), T0 + 3_600_000)), T0 + 3_600_000);
        assertThat(trainingPairs.isEmpty()).isTrue();

        closeWindows();
        assertThat(examples()).extracting(TrainingExample::queryId).containsExactly("q1");
        assertThat(stats.impressionsWithoutClicks()).isEqualTo(1);
    }

    @Test
    void shouldCloseWindowsAtThePunctuationIntervalOfTheSettings() {
        startWithDocs(new TestSettings().punctuation(Duration.ofSeconds(10)), 2);
        advance(Duration.ofSeconds(5));
        impression("q1", "x", "u1", "d1", "d2"); // arrives at T0+5s, window ends at T0+65s
        click("q1", "d2", 2, null);

        advance(Duration.ofSeconds(55)); // T0+60s: punctuation, not due yet
        assertThat(trainingPairs.isEmpty()).isTrue();
        advance(Duration.ofSeconds(5)); // T0+65s: due, but no punctuation before T0+70s
        assertThat(trainingPairs.isEmpty()).isTrue();
        advance(Duration.ofSeconds(5));
        assertThat(examples()).hasSize(1);
    }

    @Test
    void shouldJoinAClickThatArrivesMinutesAfterItsImpressionWithinTheWindow() {
        startWithDocs(new TestSettings().window(Duration.ofMinutes(10)), 2);
        impression("q1", "x", "u1", "d1", "d2");
        advance(Duration.ofMinutes(9));
        click("q1", "d2", 2, null);
        advance(Duration.ofMinutes(1));
        assertThat(examples()).singleElement().satisfies(e -> assertThat(e.positive().id()).isEqualTo("d2"));
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    // ---------------------------------------------------------------- rules through the topology

    @Test
    void shouldPairTheClickWithTheSkippedResultsAboveItAndWriteTheDocumentedFormat() throws Exception {
        startWithDocs(new TestSettings(), 5);
        impression("q1", "wing flutter", "u1", "d1", "d2", "d3", "d4", "d5");
        click("q1", "d3", 3, 30_000L);
        closeWindows();

        List<TestRecord<String, String>> records = trainingPairs.readRecordsToList();
        assertThat(records).hasSize(1);
        assertThat(records.get(0).key()).isEqualTo("q1");
        assertThat(records.get(0).timestamp()).isEqualTo(T0 + WINDOW.toMillis());
        JsonNode json = body(records.get(0));
        List<String> fields = new ArrayList<>();
        json.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("query", "positive", "negatives", "weight", "model_version", "query_id",
                "timestamp");
        assertThat(json.get("query").asText()).isEqualTo("wing flutter");
        assertThat(json.get("positive").get("id").asText()).isEqualTo("d3");
        assertThat(json.get("positive").get("text").asText()).isEqualTo("T d3 text of d3");
        assertThat(json.get("negatives")).hasSize(2);
        assertThat(json.get("negatives").get(0).get("id").asText()).isEqualTo("d1");
        assertThat(json.get("negatives").get(0).get("text").asText()).isEqualTo("T d1 text of d1");
        assertThat(json.get("negatives").get(0).get("rank").asInt()).isEqualTo(1);
        assertThat(json.get("negatives").get(1).get("id").asText()).isEqualTo("d2");
        assertThat(json.get("weight").asDouble()).isCloseTo(Math.pow(3, 0.7), within(1e-9));
        assertThat(json.get("model_version").asText()).isEqualTo("m@1");
        assertThat(json.get("query_id").asText()).isEqualTo("q1");
        assertThat(json.get("timestamp").asLong()).isEqualTo(T0 - 5);
    }

    @Test
    void shouldAddTheUnclickedResultBelowTheClickWhenConfigured() {
        startWithDocs(new TestSettings().includeBelowClick(true), 5);
        impression("q1", "x", "u1", "d1", "d2", "d3", "d4", "d5");
        click("q1", "d2", 2, null);
        closeWindows();
        assertThat(examples()).singleElement().satisfies(e -> assertThat(negativeIds(e)).containsExactly("d1", "d3"));
    }

    @Test
    void shouldEmitOneExamplePerPositiveAndUseNoClickedResultAsNegative() {
        startWithDocs(new TestSettings(), 6);
        impression("q1", "x", "u1", "d1", "d2", "d3", "d4", "d5", "d6");
        click("q1", "d2", 2, 30_000L);
        click("q1", "d4", 4, 1_000L); // too short: neither positive nor negative
        click("q1", "d5", 5, null); // no dwell: positive
        closeWindows();

        List<TrainingExample> out = examples();
        assertThat(out).extracting(e -> e.positive().id()).containsExactly("d2", "d5");
        assertThat(out).allSatisfy(e -> assertThat(negativeIds(e)).containsExactly("d1", "d3"));
        assertThat(out).extracting(TrainingExample::weight).containsExactly(Math.pow(2, 0.7), Math.pow(5, 0.7));
    }

    @Test
    void shouldProduceNothingForShortDwellOnlyOrNoClicks() {
        startWithDocs(new TestSettings(), 3);
        impression("q1", "x", "u1", "d1", "d2", "d3");
        click("q1", "d2", 2, 4_999L);
        impression("q2", "y", "u1", "d1", "d2", "d3");
        closeWindows();

        assertThat(trainingPairs.isEmpty()).isTrue();
        assertThat(stats.impressionsClosed()).isEqualTo(2);
        assertThat(stats.impressionsWithoutClicks()).isEqualTo(1);
    }

    @Test
    void shouldMergeRepeatedClicksOnOneDocument() {
        startWithDocs(new TestSettings(), 2);
        impression("q1", "x", "u1", "d1", "d2");
        click("q1", "d2", 2, 1_000L);
        click("q1", "d2", 2, 9_000L);
        click("q1", "d2", 2, 2_000L);
        assertThat(driver.<String, PendingImpression>getKeyValueStore(FeedbackTopology.PENDING_STORE).get("q1").clicks())
                .singleElement().satisfies(c -> assertThat(c.dwellMs()).isEqualTo(9_000L));
        closeWindows();
        assertThat(examples()).hasSize(1);
    }

    @Test
    void shouldNeverUseARecentPositiveOfTheSameQueryTextAsNegativeUntilItsTtlPasses() {
        startWithDocs(new TestSettings().recentPositiveTtl(Duration.ofHours(2)), 3);
        impression("q1", "Wing Flutter", "u1", "d1", "d2", "d3");
        click("q1", "d1", 1, null);
        closeWindows();
        assertThat(examples()).singleElement().satisfies(e -> assertThat(e.negatives()).isEmpty());

        // same text after normalisation: d1 is a positive of it, so it is no negative for it
        impression("q2", "  wing   FLUTTER", "u2", "d1", "d2", "d3");
        click("q2", "d3", 3, null);
        // another text: d1 is a fine negative
        impression("q3", "other", "u2", "d1", "d2", "d3");
        click("q3", "d2", 2, null);
        closeWindows();
        List<TrainingExample> out = examples();
        assertThat(out).filteredOn(e -> e.queryId().equals("q2"))
                .singleElement().satisfies(e -> assertThat(negativeIds(e)).containsExactly("d2"));
        assertThat(out).filteredOn(e -> e.queryId().equals("q3"))
                .singleElement().satisfies(e -> assertThat(negativeIds(e)).containsExactly("d1"));
        assertThat(stats.negativesDropped(NegativeDropReason.RECENT_POSITIVE)).isEqualTo(1);

        advance(Duration.ofHours(2));
        impression("q4", "wing flutter", "u3", "d1", "d2", "d3");
        click("q4", "d2", 2, null);
        closeWindows();
        assertThat(examples()).singleElement().satisfies(e -> assertThat(negativeIds(e)).containsExactly("d1"));
    }

    // ---------------------------------------------------------------- hygiene

    @Test
    void shouldDropDuplicateExamplesOfTheSameQueryAndPositiveWithinTheDedupWindow() {
        startWithDocs(new TestSettings().dedupWindow(Duration.ofMinutes(30)), 2);
        impression("q1", "x", "u1", "d1", "d2");
        click("q1", "d2", 2, null);
        impression("q2", "X ", "u2", "d1", "d2");
        click("q2", "d2", 2, null);
        closeWindows();
        assertThat(examples()).extracting(TrainingExample::queryId).containsExactly("q1");
        assertThat(stats.dropped(DropReason.DUPLICATE)).isEqualTo(1);

        // another positive of the same query is no duplicate
        impression("q3", "x", "u1", "d1", "d2");
        click("q3", "d1", 1, null);
        closeWindows();
        assertThat(examples()).extracting(TrainingExample::queryId).containsExactly("q3");

        advance(Duration.ofMinutes(30));
        impression("q4", "x", "u1", "d1", "d2");
        click("q4", "d2", 2, null);
        closeWindows();
        assertThat(examples()).extracting(TrainingExample::queryId).containsExactly("q4");
    }

    @Test
    void shouldKeepEveryExampleWhenTheDedupWindowIsZero() {
        startWithDocs(new TestSettings().dedupWindow(Duration.ZERO), 2);
        impression("q1", "x", "u1", "d1", "d2");
        click("q1", "d2", 2, null);
        impression("q2", "X ", "u2", "d1", "d2");
        click("q2", "d2", 2, null);
        closeWindows();
        assertThat(examples()).extracting(TrainingExample::queryId).containsExactlyInAnyOrder("q1", "q2");
        assertThat(stats.dropped(DropReason.DUPLICATE)).isZero();
    }

    @Test
    void shouldCapExamplesPerUserOrSessionPerWindow() {
        startWithDocs(new TestSettings().cap(2).capWindow(Duration.ofMinutes(30)), 2);
        for (String q : List.of("q1", "q2", "q3")) {
            impression(q, "query " + q, "bot", "d1", "d2");
            click(q, "d2", 2, null);
        }
        for (String q : List.of("s1", "s2", "s3")) {
            impressionWithSession(q, "query " + q, null, "session-9", "d1", "d2");
            click(q, "d2", 2, null);
        }
        for (String q : List.of("a1", "a2", "a3")) {
            impression(q, "query " + q, null, "d1", "d2");
            click(q, "d2", 2, null);
        }
        impression("h1", "query h1", "human", "d1", "d2");
        click("h1", "d2", 2, null);
        closeWindows();

        assertThat(examples()).extracting(TrainingExample::queryId)
                .containsExactlyInAnyOrder("q1", "q2", "s1", "s2", "a1", "a2", "a3", "h1");
        assertThat(stats.dropped(DropReason.USER_CAP)).isEqualTo(2);

        advance(Duration.ofMinutes(30));
        impression("q4", "query q4", "bot", "d1", "d2");
        click("q4", "d2", 2, null);
        closeWindows();
        assertThat(examples()).extracting(TrainingExample::queryId).containsExactly("q4");
    }

    @Test
    void shouldDeadLetterAClickWithoutImpressionWithReasonAndHeaders() throws Exception {
        start(new TestSettings());
        clicks.pipeInput(bytes("warm-up"), bytes("{oops")); // offset 0
        deadLetters.readRecordsToList();
        byte[] value = click("q-none", "d1", 1, 2_000L); // offset 1

        TestRecord<String, String> letter = deadLetters.readRecord();
        assertThat(letter.key()).isEqualTo("q-none");
        assertThat(header(letter, DeadLetterHeaders.ERROR)).isEqualTo("NO_IMPRESSION");
        assertThat(header(letter, DeadLetterHeaders.REASON)).startsWith("no_impression: ");
        assertThat(header(letter, DeadLetterHeaders.TOPIC)).isEqualTo("clicks");
        assertThat(header(letter, DeadLetterHeaders.PARTITION)).isEqualTo("0");
        assertThat(header(letter, DeadLetterHeaders.OFFSET)).isEqualTo("1");
        assertThat(header(letter, DeadLetterHeaders.TIMESTAMP)).isEqualTo(Long.toString(T0));
        JsonNode body = body(letter);
        assertThat(body.get("error").asText()).isEqualTo("NO_IMPRESSION");
        assertThat(body.get("reason").asText()).isEqualTo(header(letter, DeadLetterHeaders.REASON));
        assertThat(body.get("topic").asText()).isEqualTo("clicks");
        assertThat(body.get("offset").asLong()).isEqualTo(1);
        assertThat(body.get("key").asText()).isEqualTo("q-none");
        assertThat(Base64.getDecoder().decode(body.get("value_base64").asText())).isEqualTo(value);
        assertThat(stats.dropped(DropReason.NO_IMPRESSION)).isEqualTo(1);
        assertThat(stats.deadLettered()).isEqualTo(2);
        assertThat(stats.clicks()).isEqualTo(1);
    }

    @Test
    void shouldDeadLetterALateClickAsLateAndLaterAsWithoutImpression() {
        startWithDocs(new TestSettings().lateClickRetention(Duration.ofMinutes(10)), 2);
        impression("q1", "x", "u1", "d1", "d2");
        closeWindows();
        click("q1", "d2", 2, null);

        TestRecord<String, String> late = deadLetters.readRecord();
        assertThat(header(late, DeadLetterHeaders.ERROR)).isEqualTo("LATE");
        assertThat(header(late, DeadLetterHeaders.REASON)).startsWith("late: ");
        assertThat(stats.dropped(DropReason.LATE)).isEqualTo(1);
        assertThat(trainingPairs.isEmpty()).isTrue();

        advance(Duration.ofMinutes(10));
        click("q1", "d2", 2, null);
        assertThat(header(deadLetters.readRecord(), DeadLetterHeaders.ERROR)).isEqualTo("NO_IMPRESSION");
        assertThat(entries(FeedbackTopology.CLOSED_STORE)).isZero();
        closeWindows();
        assertThat(trainingPairs.isEmpty()).isTrue();
    }

    @Test
    void shouldDeadLetterAClickOnADocumentTheImpressionDidNotShow() {
        startWithDocs(new TestSettings(), 3);
        impression("q1", "x", "u1", "d1", "d2");
        click("q1", "d3", 3, null);
        assertThat(header(deadLetters.readRecord(), DeadLetterHeaders.ERROR)).isEqualTo("NOT_SHOWN");
        assertThat(stats.dropped(DropReason.NOT_SHOWN)).isEqualTo(1);
        closeWindows();
        assertThat(trainingPairs.isEmpty()).isTrue();
    }

    @Test
    void shouldDeadLetterADuplicateImpressionWhilePendingAndAfterClosing() {
        startWithDocs(new TestSettings(), 2);
        impression("q1", "x", "u1", "d1", "d2");
        impression("q1", "x", "u1", "d2", "d1");
        click("q1", "d2", 2, null);
        closeWindows();
        impression("q1", "x", "u1", "d1", "d2");

        List<TestRecord<String, String>> letters = deadLetters.readRecordsToList();
        assertThat(letters).extracting(r -> header(r, DeadLetterHeaders.ERROR))
                .containsExactly("DUPLICATE_IMPRESSION", "DUPLICATE_IMPRESSION");
        assertThat(letters).extracting(r -> header(r, DeadLetterHeaders.TOPIC)).containsOnly("search-impressions");
        // the first impression won: d2 was at rank 2 there, so d1 is its negative
        assertThat(examples()).singleElement().satisfies(e -> assertThat(negativeIds(e)).containsExactly("d1"));
        assertThat(stats.dropped(DropReason.DUPLICATE_IMPRESSION)).isEqualTo(2);
    }

    @Test
    void shouldDeadLetterBadInputOnBothTopicsAndKeepWorking() throws Exception {
        startWithDocs(new TestSettings(), 2);
        impressions.pipeInput(bytes("q0"), bytes("{not json"));
        impressions.pipeInput(bytes("q0"), (byte[]) null);
        impressions.pipeInput(bytes("other"), Json.write(new Impression("q0", "x", null, null, "m",
                List.of(new Impression.Result("d1", 1, 0.0)), 1)));
        impressions.pipeInput(bytes("q0"), bytes("{\"query_id\":\"q0\",\"query\":\"x\",\"model_version\":\"m\","
                + "\"results\":[{\"doc_id\":\"d1\",\"rank\":0}],\"timestamp\":1}"));
        clicks.pipeInput(bytes("q0"), bytes("[]"));
        clicks.pipeInput(bytes("q0"), bytes("{\"query_id\":\"q0\",\"rank\":1,\"timestamp\":1}"));
        clicks.pipeInput(bytes("q0"), new byte[] {(byte) 0xFF, (byte) 0xFE});

        List<TestRecord<String, String>> letters = deadLetters.readRecordsToList();
        assertThat(letters).extracting(r -> header(r, DeadLetterHeaders.ERROR)).containsExactly(
                "BAD_JSON", "MISSING_VALUE", "KEY_MISMATCH", "INVALID_FIELD", "WRONG_TYPE", "MISSING_FIELD", "BAD_JSON");
        assertThat(letters).extracting(r -> header(r, DeadLetterHeaders.TOPIC)).containsExactly(
                "search-impressions", "search-impressions", "search-impressions", "search-impressions",
                "clicks", "clicks", "clicks");
        assertThat(letters).extracting(r -> header(r, DeadLetterHeaders.OFFSET))
                .containsExactly("0", "1", "2", "3", "0", "1", "2");
        assertThat(Base64.getDecoder().decode(body(letters.get(6)).get("value_base64").asText()))
                .isEqualTo(new byte[] {(byte) 0xFF, (byte) 0xFE});
        assertThat(body(letters.get(1)).has("value_base64")).isFalse();
        assertThat(stats.dropped(DropReason.BAD_INPUT)).isEqualTo(7);
        assertThat(stats.impressions()).isZero();

        impression("q1", "x", "u1", "d1", "d2");
        click("q1", "d2", 2, null);
        closeWindows();
        assertThat(examples()).hasSize(1);
    }

    // ---------------------------------------------------------------- documents

    @Test
    void shouldDropANegativeWhoseDocumentWasDeletedBeforeTheExampleIsEmitted() {
        startWithDocs(new TestSettings(), 4);
        impression("q1", "x", "u1", "d1", "d2", "d3", "d4");
        click("q1", "d3", 3, null);
        deleteDoc("d1");
        closeWindows();
        assertThat(examples()).singleElement().satisfies(e -> assertThat(negativeIds(e)).containsExactly("d2"));
        assertThat(stats.negativesDropped(NegativeDropReason.DOCUMENT_MISSING)).isEqualTo(1);
        assertThat(stats.dropped(DropReason.DOCUMENT_MISSING)).isZero();
    }

    @Test
    void shouldDropTheExampleWhosePositiveDocumentWasDeletedOrNeverPublished() {
        startWithDocs(new TestSettings(), 3);
        impression("q1", "x", "u1", "d1", "d2", "d3");
        click("q1", "d3", 3, null);
        impression("q2", "y", "u1", "d1", "ghost");
        click("q2", "ghost", 2, null);
        deleteDoc("d3");
        closeWindows();
        assertThat(trainingPairs.isEmpty()).isTrue();
        assertThat(stats.dropped(DropReason.DOCUMENT_MISSING)).isEqualTo(2);
        assertThat(stats.examplesEmitted()).isZero();
    }

    @Test
    void shouldUseTheCurrentDocumentTextCutToMaxChars() {
        start(new TestSettings().maxTextChars(12));
        doc("d1", "first", 5L);
        doc("d2", "old text", null);
        impression("q1", "x", "u1", "d1", "d2");
        click("q1", "d2", 2, null);
        doc("d2", "new text here", null); // updated after the click, before the window closed
        doc("d1", "stale", 4L); // an older version is ignored
        documents.pipeInput(bytes("d1"), bytes("{broken")); // invalid: the indexer keeps the old one, so do we
        closeWindows();

        assertThat(examples()).singleElement().satisfies(e -> {
            assertThat(e.positive().text()).isEqualTo("T d2 new tex");
            assertThat(e.negatives()).singleElement().satisfies(n -> assertThat(n.text()).isEqualTo("T d1 first"));
        });
    }

    // ---------------------------------------------------------------- weights

    @Test
    void shouldWeightByClippedInversePropensityOrNotAtAll() {
        startWithDocs(new TestSettings().maxWeight(3), 6);
        impression("q1", "x", "u1", "d1", "d2", "d3", "d4", "d5", "d6");
        click("q1", "d1", 1, null);
        click("q1", "d2", 2, null);
        click("q1", "d5", 5, null); // 5^0.7 = 3.09, clipped to 3
        closeWindows();
        assertThat(examples()).extracting(TrainingExample::weight).containsExactly(1.0, Math.pow(2, 0.7), 3.0);
    }

    @Test
    void shouldWeighOneWithoutPropensityModel() {
        startWithDocs(new TestSettings().propensity(PropensityModel.none()), 4);
        impression("q1", "x", "u1", "d1", "d2", "d3", "d4");
        click("q1", "d4", 4, null);
        closeWindows();
        assertThat(examples()).singleElement().satisfies(e -> assertThat(e.weight()).isEqualTo(1.0));
    }

    // ---------------------------------------------------------------- state

    @Test
    void shouldChangelogEveryStoreAndPurgeExpiredState() {
        startWithDocs(new TestSettings().dedupWindow(Duration.ofMinutes(5)).capWindow(Duration.ofMinutes(5))
                .recentPositiveTtl(Duration.ofMinutes(5)).lateClickRetention(Duration.ofMinutes(5)), 2);
        impression("q1", "x", "u1", "d1", "d2");
        click("q1", "d2", 2, null);
        closeWindows();
        assertThat(examples()).hasSize(1);

        assertThat(driver.producedTopicNames()).contains(
                APP + "-" + FeedbackTopology.PENDING_STORE + "-changelog",
                APP + "-" + FeedbackTopology.CLOSED_STORE + "-changelog",
                APP + "-" + FeedbackTopology.JOIN_EXPIRY_STORE + "-changelog",
                APP + "-" + FeedbackTopology.RECENT_POSITIVES_STORE + "-changelog",
                APP + "-" + FeedbackTopology.DEDUP_STORE + "-changelog",
                APP + "-" + FeedbackTopology.PAIR_EXPIRY_STORE + "-changelog",
                APP + "-" + FeedbackTopology.CAPS_STORE + "-changelog",
                APP + "-" + FeedbackTopology.EMIT_EXPIRY_STORE + "-changelog",
                APP + "-" + FeedbackTopology.BY_QUERY + "-repartition",
                APP + "-" + FeedbackTopology.BY_IDENTITY + "-repartition");
        for (String store : List.of(FeedbackTopology.CLOSED_STORE, FeedbackTopology.RECENT_POSITIVES_STORE,
                FeedbackTopology.DEDUP_STORE, FeedbackTopology.CAPS_STORE)) {
            assertThat(entries(store)).as(store).isEqualTo(1);
        }

        advance(Duration.ofMinutes(5));
        for (String store : List.of(FeedbackTopology.PENDING_STORE, FeedbackTopology.CLOSED_STORE,
                FeedbackTopology.JOIN_EXPIRY_STORE, FeedbackTopology.RECENT_POSITIVES_STORE,
                FeedbackTopology.DEDUP_STORE, FeedbackTopology.PAIR_EXPIRY_STORE, FeedbackTopology.CAPS_STORE,
                FeedbackTopology.EMIT_EXPIRY_STORE)) {
            assertThat(entries(store)).as(store).isZero();
        }
    }

    @Test
    void shouldNameEveryNodeAndStore() {
        String description = FeedbackTopology.build(FeedbackSettings.defaults(), new FeedbackStats()).describe().toString();
        assertThat(description).doesNotContainPattern("[A-Z]+-[A-Z-]*\\d{10}");
        assertThat(description).contains(FeedbackTopology.JOIN, FeedbackTopology.PAIR, FeedbackTopology.EMIT,
                FeedbackTopology.DEAD_LETTER_SINK, FeedbackTopology.TRAINING_PAIRS_SINK, FeedbackTopology.DOCUMENTS_STORE,
                "topics: [search-impressions]", "topics: [clicks]", "topics: [documents]", "topic: training-pairs",
                "topic: clicks.dlq");
    }

    @Test
    void shouldCountEverythingInToString() {
        startWithDocs(new TestSettings(), 2);
        impression("q1", "x", "u1", "d1", "d2");
        click("q1", "d2", 2, null);
        closeWindows();
        assertThat(stats.toString()).contains("impressions=1", "clicks=1", "examples=1", "dropped_late=0",
                "negatives_dropped_document_missing=0");
    }

    // ---------------------------------------------------------------- interleaving outcomes

    private void interleaved(String queryId, String... docAndTeam) {
        List<Impression.Result> results = new ArrayList<>();
        for (int i = 0; i < docAndTeam.length; i += 2) {
            results.add(new Impression.Result(docAndTeam[i], i / 2 + 1, null, docAndTeam[i + 1]));
        }
        impressions.pipeInput(bytes(queryId),
                Json.write(new Impression(queryId, "q " + queryId, null, "s-" + queryId, "m@1", results, T0 - 5, "m@2")));
    }

    @Test
    void shouldWriteOneOutcomePerInterleavedImpressionWithClicksAttributedToTeams() {
        TestSettings settings = new TestSettings();
        startWithDocs(settings, 6);
        var outcomes = driver.createOutputTopic("interleaving-outcomes", new StringDeserializer(),
                new StringDeserializer());
        interleaved("w", "d1", "live", "d2", "candidate", "d3", "candidate", "d4", "live");
        click("w", "d2", 2, null);
        click("w", "d3", 3, null);
        interleaved("l", "d1", "candidate", "d2", "live", "d3", "live");
        click("l", "d2", 2, null);
        interleaved("t", "d5", "live", "d6", "candidate");
        click("t", "d5", 1, null);
        click("t", "d6", 2, null);
        interleaved("none", "d1", "live", "d2", "candidate");
        impression("plain", "x", null, "d1", "d2");
        click("plain", "d1", 1, null);
        closeWindows();

        java.util.Map<String, dev.embedloop.events.InterleavingOutcome> byQuery = new java.util.HashMap<>();
        for (TestRecord<String, String> r : outcomes.readRecordsToList()) {
            assertThat(r.key()).as("keyed by the candidate under test").isEqualTo("m@2");
            var o = Json.read(bytes(r.value()), dev.embedloop.events.InterleavingOutcome.class);
            byQuery.put(o.queryId(), o);
        }
        assertThat(byQuery).containsOnlyKeys("w", "l", "t"); // no clicks or not interleaved: no outcome
        assertThat(byQuery.get("w").outcome()).isEqualTo("win");
        assertThat(byQuery.get("w").candidateClicks()).isEqualTo(2);
        assertThat(byQuery.get("w").liveVersion()).isEqualTo("m@1");
        assertThat(byQuery.get("l").outcome()).isEqualTo("loss");
        assertThat(byQuery.get("t").outcome()).isEqualTo("tie");
        // the query by its key, not its text: the trainer counts only queries the candidate was not trained on
        assertThat(byQuery.get("w").queryKey()).isEqualTo(dev.embedloop.events.Queries.key("Q  W"))
                .isNotEqualTo(byQuery.get("l").queryKey()).hasSize(16);
        assertThat(outcomes.readRecordsToList()).isEmpty();
        // training pairs still see the positions as shown
        assertThat(examples()).anySatisfy(e -> {
            assertThat(e.queryId()).isEqualTo("w");
            assertThat(e.positive().id()).isEqualTo("d3");
        });
    }

    /**
     * The query's key is computed from whatever query text an interleaved impression carries: a
     * lone surrogate, a text that normalises to nothing (NBSP), a 20 MiB query and a 500-deep
     * extra field neither stop the stream nor lose the outcome.
     */
    @Test
    void shouldKeyTheOutcomeOfAnyQueryTextWithoutStoppingTheStream() {
        TestSettings settings = new TestSettings();
        startWithDocs(settings, 2);
        var outcomes = driver.createOutputTopic("interleaving-outcomes", new StringDeserializer(),
                new StringDeserializer());
        java.util.Map<String, String> queries = new java.util.LinkedHashMap<>();
        queries.put("surrogate", "wing \uD800 flutter");
        queries.put("nbsp", "\u00A0");
        queries.put("huge", "x".repeat(20 * 1024 * 1024));
        for (java.util.Map.Entry<String, String> q : queries.entrySet()) {
            List<Impression.Result> results = List.of(new Impression.Result("d1", 1, null, "live"),
                    new Impression.Result("d2", 2, null, "candidate"));
            impressions.pipeInput(bytes(q.getKey()), Json.write(new Impression(q.getKey(), q.getValue(), null,
                    "s-" + q.getKey(), "m@1", results, T0 - 5, "m@2")));
            click(q.getKey(), "d2", 2, null);
        }
        String deep = "{\"a\":".repeat(500) + "1" + "}".repeat(500);
        impressions.pipeInput(bytes("deep"), ("{\"query_id\":\"deep\",\"query\":\"q\",\"model_version\":\"m@1\","
                + "\"results\":[{\"doc_id\":\"d1\",\"rank\":1,\"team\":\"candidate\"}],\"timestamp\":" + (T0 - 5)
                + ",\"candidate_version\":\"m@2\",\"extra\":" + deep + "}").getBytes(StandardCharsets.UTF_8));
        click("deep", "d1", 1, null);
        closeWindows();

        java.util.Map<String, dev.embedloop.events.InterleavingOutcome> byQuery = new java.util.HashMap<>();
        for (TestRecord<String, String> r : outcomes.readRecordsToList()) {
            var o = Json.read(bytes(r.value()), dev.embedloop.events.InterleavingOutcome.class);
            byQuery.put(o.queryId(), o);
        }
        List<String> letters = deadLetters.readRecordsToList().stream().map(TestRecord::key).toList();
        for (String id : List.of("surrogate", "nbsp", "huge", "deep")) {
            // each record ends as an outcome with a key, or dead-lettered with its reason: never lost, never fatal
            assertThat(byQuery.containsKey(id) || letters.contains(id)).as(id).isTrue();
            if (byQuery.containsKey(id)) {
                assertThat(byQuery.get(id).queryKey()).as(id).matches("[0-9a-f]{16}");
            }
        }
        assertThat(byQuery.get("surrogate").outcome()).isEqualTo("win");
        assertThat(byQuery.get("nbsp").queryKey()).isEqualTo(dev.embedloop.events.Queries.key(""));
    }
}
