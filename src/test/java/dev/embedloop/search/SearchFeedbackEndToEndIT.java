package dev.embedloop.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.DeadLetterHeaders;
import dev.embedloop.events.Impression;
import dev.embedloop.events.Json;
import dev.embedloop.events.TrainingExample;
import dev.embedloop.feedback.FeedbackRunner;
import dev.embedloop.index.Indexer;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.search.http.RequestObserver;
import dev.embedloop.testing.Await;
import dev.embedloop.testing.QdrantProbe;
import dev.embedloop.testing.TestRecords;
import io.qdrant.client.QdrantClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feedback loop end to end in one JVM: the real Kafka broker, the Qdrant local mode, the
 * quantized MiniLM model, the indexer and the feedback topology in Kafka Streams, and the search
 * service on an ephemeral port, used over real HTTP. A search and a click on the third result
 * become one training example with the two results above it as negatives.
 */
class SearchFeedbackEndToEndIT {

    /** id → {title, text}. */
    private static final Map<String, String[]> CORPUS = new LinkedHashMap<>();

    static {
        CORPUS.put("wing", new String[] {"How wings make lift",
            "A wing deflects the air flowing past it downwards, and the air pushes the wing up in return. "
                    + "The pressure above the wing is lower than the pressure below it."});
        CORPUS.put("flaps", new String[] {"Flaps and slats",
            "Flaps and slats change the camber of an aircraft wing so that it produces more lift at low speed, "
                    + "during take-off and landing."});
        CORPUS.put("stall", new String[] {"Stall",
            "When the angle of attack exceeds the critical angle, the air flow separates from the upper surface "
                    + "of the wing and the lift drops sharply."});
        CORPUS.put("rotor", new String[] {"Helicopter rotors",
            "The rotor blades of a helicopter are rotating wings; the lift they produce holds the helicopter up."});
        CORPUS.put("bread", new String[] {"Sourdough", "Wild yeast and lactic acid bacteria leaven sourdough bread."});
        CORPUS.put("coffee", new String[] {"Espresso",
            "Hot water forced through finely ground coffee under pressure makes espresso."});
        CORPUS.put("tides", new String[] {"Tides", "The gravity of the moon pulls the oceans and causes two tides a day."});
        CORPUS.put("bees", new String[] {"Honeybees", "Bees tell each other where flowers are with a waggle dance."});
    }

    private static final Set<String> AERONAUTICS = Set.of("wing", "flaps", "stall", "rotor");
    /** Shared by every search instance of the test, as it would be in production. */
    private static final String CLICK_KEY = "search-e2e-click-key-0123456789abcdef";

    @TempDir
    static Path state;

    static EmbeddedServices services;
    static EmbedloopConfig cfg;
    static Models models;
    static QdrantClient client;
    static Indexer indexer;
    static FeedbackRunner feedback;
    static KafkaFeedbackLog log;
    static SearchService service;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        EmbedloopConfig base = ConfigLoader.defaults();
        services = EmbeddedServices.start(base, 0, 0, null);
        cfg = services.configure(base).with(Map.of(
                "kafka.state.dir", state.toString(),
                "kafka.application.id", "search-e2e-indexer-" + run,
                "feedback.application-id", "search-e2e-feedback-" + run,
                "model", "all-minilm-l6-v2-q",
                "qdrant.collection", "search_e2e",
                "search.port", "0",
                "search.click-key", CLICK_KEY))
                .with(Map.of("feedback.window-ms", "2000", "feedback.punctuation-interval-ms", "200",
                        "feedback.min-dwell-ms", "0"));
        models = Models.open(cfg);
        client = Qdrant.connect(cfg.qdrant());
        indexer = Indexer.start(cfg, models, client);
        feedback = FeedbackRunner.start(cfg); // creates the feedback topics too
        assertThat(indexer.awaitRunning(Duration.ofSeconds(60))).as("indexer reached RUNNING").isTrue();
        assertThat(feedback.awaitRunning(Duration.ofSeconds(60))).as("feedback reached RUNNING").isTrue();

        try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes())) {
            CORPUS.forEach((id, doc) -> publisher.publish(id, Json.write(Map.of("id", id, "title", doc[0], "text", doc[1]))));
        }
        Await.until(Duration.ofSeconds(120), () -> indexer.stats().indexed() >= CORPUS.size(), indexer.stats()::toString);

        log = KafkaFeedbackLog.create(cfg);
        service = SearchService.start(SearchService.Options.of(cfg),
                new Searcher(client, models.encoder(), cfg.qdrant().collection(), cfg.qdrant().timeout()), log,
                List.of(ReadinessCheck.qdrant(client, Duration.ofSeconds(2))), RequestObserver.NONE);
    }

    @AfterAll
    static void stop() {
        if (service != null) service.close();
        if (log != null) log.close();
        if (feedback != null) feedback.close();
        if (indexer != null) indexer.close();
        if (client != null) client.close();
        if (models != null) models.close();
        if (services != null) services.close();
    }

    @Test
    void shouldTurnASearchAndAClickBelowTheTopIntoAWeightedTrainingExample() throws Exception {
        String query = "how does a wing produce lift";
        HttpResponse<String> res = get("/search?q=" + URLEncoder.encode(query, StandardCharsets.UTF_8)
                + "&k=5&user_id=u-e2e");
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode answer = Json.MAPPER.readTree(res.body());
        String queryId = answer.get("query_id").asText();
        String token = answer.get("click_token").asText();
        String modelVersion = models.encoder().model().version();
        assertThat(answer.get("model_version").asText()).isEqualTo(modelVersion);
        List<String> ranked = new ArrayList<>();
        answer.get("hits").forEach(h -> ranked.add(h.get("doc_id").asText()));
        assertThat(ranked).hasSize(5).doesNotHaveDuplicates();
        assertThat(ranked.get(0)).as("the best match is about wings").isIn(AERONAUTICS);
        assertThat(answer.get("hits").get(0).get("title").asText()).isEqualTo(CORPUS.get(ranked.get(0))[0]);

        // a second search nobody clicks: it must not produce an example
        String unclicked = Json.MAPPER.readTree(get("/search?q=espresso").body()).get("query_id").asText();

        String clicked = ranked.get(2);
        HttpResponse<String> click = post("/clicks",
                "{\"click_token\":\"" + token + "\",\"doc_id\":\"" + clicked + "\",\"dwell_ms\":30000}");
        assertThat(click.statusCode()).isEqualTo(202);
        assertThat(Json.MAPPER.readTree(click.body()).get("rank").asInt()).isEqualTo(3);

        ConsumerRecord<String, byte[]> example = readFirst(cfg.topics().trainingPairs(), r -> r.key().equals(queryId));
        TrainingExample ex = Json.read(example.value(), TrainingExample.class);
        assertThat(ex.query()).isEqualTo(query);
        assertThat(ex.queryId()).isEqualTo(queryId);
        assertThat(ex.modelVersion()).isEqualTo(modelVersion);
        assertThat(ex.positive().id()).isEqualTo(clicked);
        assertThat(ex.positive().text()).isEqualTo(CORPUS.get(clicked)[0] + " " + CORPUS.get(clicked)[1]);
        assertThat(ex.negatives()).as("skip-above: the two results shown above the click")
                .extracting(TrainingExample.Negative::id, TrainingExample.Negative::rank)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(ranked.get(0), 1),
                        org.assertj.core.groups.Tuple.tuple(ranked.get(1), 2));
        assertThat(ex.negatives().get(0).text()).isEqualTo(CORPUS.get(ranked.get(0))[0] + " " + CORPUS.get(ranked.get(0))[1]);
        assertThat(ex.weight()).as("inverse propensity of rank 3: 3^0.7").isGreaterThan(1.0)
                .isCloseTo(Math.pow(3, 0.7), within(1e-9));

        // what the service wrote on the way: the impression and the click, keyed by query id
        Impression impression = Json.read(readFirst(cfg.topics().impressions(), r -> r.key().equals(queryId)).value(),
                Impression.class);
        assertThat(impression.userId()).isEqualTo("u-e2e");
        assertThat(impression.results()).extracting(Impression.Result::docId).containsExactlyElementsOf(ranked);
        Click recorded = Json.read(readFirst(cfg.topics().clicks(), r -> r.key().equals(queryId)).value(), Click.class);
        assertThat(recorded.rank()).isEqualTo(3);
        assertThat(recorded.dwellMs()).isEqualTo(30_000L);

        assertThat(readAll(cfg.topics().trainingPairs())).as("no example from the unclicked search")
                .noneMatch(r -> r.key().equals(unclicked));
    }

    @Test
    void shouldDeadLetterForgedClicksAndDocumentsNotShown() throws Exception {
        String forged = ClickTokens.withKeys("another-key-another-key-another-key!".getBytes(StandardCharsets.UTF_8), null)
                .sign(new ClickTokens.Claims("q-never-served", List.of("wing"), "m", System.currentTimeMillis() + 60_000));
        HttpResponse<String> unknown = post("/clicks", "{\"click_token\":\"" + forged + "\",\"doc_id\":\"wing\"}");
        assertThat(unknown.statusCode()).isEqualTo(404);

        JsonNode answer = Json.MAPPER.readTree(get("/search?q=tides+and+the+moon&k=1").body());
        String queryId = answer.get("query_id").asText();
        HttpResponse<String> notShown = post("/clicks", "{\"click_token\":\"" + answer.get("click_token").asText()
                + "\",\"doc_id\":\"bees\"}");
        assertThat(notShown.statusCode()).isEqualTo(422);

        ConsumerRecord<String, byte[]> first = readFirst(cfg.topics().clicksDeadLetter(), r -> r.key().equals("q-never-served"));
        assertThat(new String(first.headers().lastHeader(DeadLetterHeaders.ERROR).value(), StandardCharsets.UTF_8))
                .isEqualTo("NO_IMPRESSION");
        DeadLetter letter = Json.read(first.value(), DeadLetter.class);
        assertThat(letter.topic()).isEqualTo(cfg.topics().clicks());
        assertThat(letter.reason()).startsWith("no_impression: ");

        ConsumerRecord<String, byte[]> second = readFirst(cfg.topics().clicksDeadLetter(), r -> r.key().equals(queryId));
        assertThat(new String(second.headers().lastHeader(DeadLetterHeaders.ERROR).value(), StandardCharsets.UTF_8))
                .isEqualTo("NOT_SHOWN");
    }

    @Test
    void shouldGoOnPastRecordsWithoutATimestamp() throws Exception {
        // clients in other languages can send records without a timestamp (-1); Kafka Streams' own
        // extractors stop the application on them
        Properties props = cfg.kafkaProperties();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);
            producer.send(TestRecords.withoutTimestamp(cfg.topics().impressions(), "no-timestamp-impression", garbage)).get();
            producer.send(TestRecords.withoutTimestamp(cfg.topics().clicks(), "no-timestamp-click", garbage)).get();
            producer.send(TestRecords.withoutTimestamp(cfg.topics().documents(), "no-timestamp-doc",
                    Json.write(Map.of("title", "Origami", "text", "An origami crane is folded from one square sheet of paper.")))).get();
        }
        for (String key : List.of("no-timestamp-impression", "no-timestamp-click")) {
            ConsumerRecord<String, byte[]> letter = readFirst(cfg.topics().clicksDeadLetter(), r -> key.equals(r.key()));
            assertThat(new String(letter.headers().lastHeader(DeadLetterHeaders.ERROR).value(), StandardCharsets.UTF_8))
                    .as(key).isEqualTo("BAD_JSON");
        }
        QdrantProbe probe = new QdrantProbe(client, cfg.qdrant().collection());
        Await.until(Duration.ofSeconds(60), () -> probe.countOf("no-timestamp-doc") > 0 || indexer.stopped(),
                () -> "the document without a timestamp indexed: " + indexer.stats());
        assertThat(indexer.stopped()).as("the indexer runs on").isFalse();
        assertThat(feedback.stopped()).as("the feedback topology runs on").isFalse();
        JsonNode answer = Json.MAPPER.readTree(get("/search?q=" + URLEncoder.encode("folding a paper crane",
                StandardCharsets.UTF_8) + "&k=3").body());
        assertThat(answer.get("hits").get(0).get("doc_id").asText()).isEqualTo("no-timestamp-doc");
    }

    @Test
    void shouldBeReadyWithTheRealKafkaQdrantAndModel() throws Exception {
        HttpResponse<String> ready = get("/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        JsonNode checks = Json.MAPPER.readTree(ready.body()).get("checks");
        assertThat(checks.get("kafka").asText()).isEqualTo("ok");
        assertThat(checks.get("qdrant").asText()).isEqualTo("ok");
        assertThat(checks.get("model").asText()).isEqualTo("ok");
    }

    @Test
    void shouldTurnClicksOnAnyInstanceAndAfterARestartIntoTrainingExamples() throws Exception {
        // two more instances with the same key: A answers the searches, B takes some clicks, and A is
        // restarted (a new process as far as the service is concerned) before it takes the others
        Searcher searcher = new Searcher(client, models.encoder(), cfg.qdrant().collection(), cfg.qdrant().timeout());
        SearchService a = SearchService.start(SearchService.Options.of(cfg), searcher, log);
        SearchService b = SearchService.start(SearchService.Options.of(cfg), searcher, log);
        SearchService restartedA = null;
        try {
            List<JsonNode> answers = new ArrayList<>();
            for (String q : List.of("wing lift at low speed", "helicopter rotor blades", "flow separation stall")) {
                HttpResponse<String> res = get(a, "/search?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + "&k=3");
                assertThat(res.statusCode()).isEqualTo(200);
                answers.add(Json.MAPPER.readTree(res.body()));
            }
            a.close();
            restartedA = SearchService.start(SearchService.Options.of(cfg), searcher, log);

            List<SearchService> clickOn = List.of(b, restartedA, b);
            for (int i = 0; i < answers.size(); i++) {
                JsonNode answer = answers.get(i);
                String doc = answer.get("hits").get(1).get("doc_id").asText();
                HttpResponse<String> click = post(clickOn.get(i), "/clicks", "{\"click_token\":\""
                        + answer.get("click_token").asText() + "\",\"doc_id\":\"" + doc + "\",\"dwell_ms\":20000}");
                assertThat(click.statusCode()).as("click %d: %s", i, click.body()).isEqualTo(202);
            }
            for (JsonNode answer : answers) {
                String queryId = answer.get("query_id").asText();
                String doc = answer.get("hits").get(1).get("doc_id").asText();
                Click recorded = Json.read(readFirst(cfg.topics().clicks(), r -> r.key().equals(queryId)).value(),
                        Click.class);
                assertThat(recorded.docId()).isEqualTo(doc);
                assertThat(recorded.rank()).isEqualTo(2);
                TrainingExample ex = Json.read(readFirst(cfg.topics().trainingPairs(), r -> r.key().equals(queryId))
                        .value(), TrainingExample.class);
                assertThat(ex.positive().id()).isEqualTo(doc);
                assertThat(ex.negatives()).extracting(TrainingExample.Negative::rank).containsExactly(1);
            }
        } finally {
            b.close();
            if (restartedA != null) {
                restartedA.close();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static HttpResponse<String> get(String pathAndQuery) throws Exception {
        return get(service, pathAndQuery);
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return post(service, path, body);
    }

    private static HttpResponse<String> get(SearchService service, String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + pathAndQuery))
                .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(SearchService service, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static KafkaConsumer<String, byte[]> consumer() {
        Properties props = cfg.kafkaProperties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "search-e2e-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** The first record of {@code topic} that matches, polled with a deadline. */
    private static ConsumerRecord<String, byte[]> readFirst(String topic, Predicate<ConsumerRecord<String, byte[]>> match) {
        List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            consumer.subscribe(List.of(topic));
            Await.until(Duration.ofSeconds(60), () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.key() != null && match.test(r)) {
                        found.add(r);
                    }
                });
                return !found.isEmpty();
            }, () -> "a matching record on " + topic);
        }
        return found.get(0);
    }

    /** Everything on {@code topic} now (read until a poll comes back empty after the first records). */
    private static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            consumer.subscribe(List.of(topic));
            Await.until(Duration.ofSeconds(60), () -> {
                var batch = consumer.poll(Duration.ofMillis(500));
                batch.forEach(r -> {
                    if (r.key() != null) {
                        out.add(r);
                    }
                });
                return !out.isEmpty() && batch.isEmpty();
            }, () -> "the records of " + topic);
        }
        return out;
    }
}
