package dev.embedloop.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.events.Json;
import dev.embedloop.feedback.FeedbackRunner;
import dev.embedloop.index.Indexer;
import dev.embedloop.kafka.KafkaClients;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.metrics.Management;
import dev.embedloop.metrics.ManagementSettings;
import dev.embedloop.metrics.SearchMeters;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.search.KafkaFeedbackLog;
import dev.embedloop.search.SearchService;
import dev.embedloop.search.Searcher;
import dev.embedloop.testing.Await;
import dev.embedloop.testing.TestData;
import dev.embedloop.train.TrainerService;
import io.qdrant.client.QdrantClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes {@code /metrics} of a real indexer, search service, feedback topology and trainer
 * (embedded broker, Qdrant local mode, quantized MiniLM), each with its own management port wired
 * the way its command wires it, and checks that the key series exist and move, that {@code /ready}
 * turns 200, and that every metric the Grafana dashboard queries is in those scrapes.
 *
 * <p>The search service's HTTP layer does not record into {@link SearchMeters} yet (its refactor is
 * under way elsewhere): this test records each of its HTTP calls into the serve process's
 * SearchMeters itself, which exercises the meter names the dashboard uses.
 */
class MetricsEndToEndIT {

    /** Series that exist only once a Qdrant call was retried or failed (MonitoringTest checks their names). */
    private static final Set<String> ONLY_ON_FAILURE = Set.of("embedloop_qdrant_retries_total", "embedloop_qdrant_failures_total");
    private static final Pattern METRIC = Pattern.compile("\\b((?:embedloop|kafka|jvm|process|system)_[A-Za-z0-9_]+)");

    @TempDir
    static Path state;
    @TempDir
    static Path store;

    static EmbeddedServices services;
    static EmbedloopConfig cfg;
    static Models models;
    static QdrantClient client;
    static Management indexMgmt;
    static Management serveMgmt;
    static Management feedbackMgmt;
    static Management trainMgmt;
    static Indexer indexer;
    static FeedbackRunner feedback;
    static TrainerService trainer;
    static KafkaFeedbackLog log;
    static SearchService service;
    static SearchMeters searchMeters;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        EmbedloopConfig defaults = ConfigLoader.defaults();
        services = EmbeddedServices.start(defaults, 0, 0, null);
        cfg = services.configure(defaults).with(Map.of(
                "kafka.state.dir", state.toString(),
                "kafka.application.id", "metrics-it-indexer-" + run,
                "feedback.application-id", "metrics-it-feedback-" + run,
                "train.group-id", "metrics-it-trainer-" + run,
                "train.model-store", store.toString(),
                "model", "all-minilm-l6-v2-q",
                "qdrant.collection", "metrics_it",
                "search.port", "0",
                "management.host", "127.0.0.1",
                "management.port", "0"))
                .with(Map.of("feedback.window-ms", "1000", "feedback.punctuation-interval-ms", "200",
                        "feedback.min-dwell-ms", "0", "feedback.dedup-window-ms", "0",
                        "train.every-examples", "2", "train.interval-ms", "500"));
        // every topic up front, visible to a fresh client before any Streams application subscribes
        List<NewTopic> topics = new ArrayList<>(KafkaTopics.indexingTopics(cfg));
        topics.addAll(KafkaTopics.feedbackTopics(cfg));
        topics.addAll(KafkaTopics.modelTopics(cfg));
        KafkaTopics.ensure(cfg.kafkaProperties(), topics);
        try (Admin admin = Admin.create(KafkaClients.admin(cfg.kafkaProperties()))) {
            Set<String> names = topics.stream().map(NewTopic::name).collect(java.util.stream.Collectors.toSet());
            Await.until(Duration.ofSeconds(30), () -> {
                try {
                    return admin.listTopics().names().get().containsAll(names);
                } catch (Exception e) {
                    return false;
                }
            }, () -> "topics " + names + " visible");
        }
        models = Models.open(cfg);
        client = Qdrant.connect(cfg.qdrant());

        indexMgmt = Monitoring.start(cfg, ManagementSettings.INDEX_PORT);
        Monitoring.checkKafka(indexMgmt, cfg);
        indexMgmt.readiness().add("model", () -> true);
        indexer = IndexCommand.start(cfg, models, client, indexMgmt);

        feedbackMgmt = Monitoring.start(cfg, ManagementSettings.FEEDBACK_PORT);
        feedback = FeedbackCommand.start(cfg, feedbackMgmt);

        trainMgmt = Monitoring.start(cfg, ManagementSettings.TRAIN_PORT);
        trainer = TrainCommand.start(cfg, models, trainMgmt);

        serveMgmt = Monitoring.start(cfg, ManagementSettings.SERVE_PORT);
        searchMeters = new SearchMeters(serveMgmt.registry());
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.feedbackTopics(cfg));
        log = KafkaFeedbackLog.create(cfg);
        Searcher searcher = new Searcher(client, models.encoder(), cfg.qdrant().collection(), cfg.qdrant().timeout());
        serveMgmt.trackModel("query", searcher::modelVersion);
        // wired as serve wires it: the request observer records into the search meters
        service = SearchService.start(SearchService.Options.of(cfg), searcher, log, java.util.List.of(),
                ServeCommand.observer(searchMeters));
    }

    @AfterAll
    static void stop() {
        if (service != null) service.close();
        if (log != null) log.close();
        if (trainer != null) trainer.close();
        if (feedback != null) feedback.close();
        if (indexer != null) indexer.close();
        for (Management m : new Management[] {serveMgmt, trainMgmt, feedbackMgmt, indexMgmt}) {
            if (m != null) m.close();
        }
        if (client != null) client.close();
        if (models != null) models.close();
        if (services != null) services.close();
    }

    @Test
    void everyServiceExposesItsSeriesAndTheDashboardQueriesOnlyExistingOnes() throws Exception {
        assertThat(indexer.awaitRunning(Duration.ofSeconds(60))).as("indexer RUNNING").isTrue();
        assertThat(feedback.awaitRunning(Duration.ofSeconds(60))).as("feedback RUNNING").isTrue();
        Await.until(Duration.ofSeconds(30), () -> status(indexMgmt, "ready") == 200, () -> "indexer /ready 200");
        assertThat(status(indexMgmt, "health")).isEqualTo(200);

        // before: nothing indexed yet
        Map<String, Double> before = values(scrape(indexMgmt));
        assertThat(before.getOrDefault("embedloop_index_indexed_documents_total", 0.0)).isZero();

        Map<String, String> corpus = new java.util.LinkedHashMap<>();
        String[] topics = {"wing lift and stall", "sourdough bread baking", "honeybee colonies", "ocean tides and the moon"};
        for (int i = 0; i < 12; i++) {
            String topic = topics[i % topics.length];
            corpus.put("d" + i, "Note " + i + " on " + topic + ": " + topic + " explained in a few short lines.");
        }
        try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes())) {
            corpus.forEach((id, text) -> publisher.publish(id, Json.write(Map.of("id", id, "title", id, "text", text))));
            publisher.publish("broken", "{not json".getBytes(StandardCharsets.UTF_8));
        }
        Await.until(Duration.ofSeconds(120), () -> indexer.stats().indexed() >= corpus.size()
                && indexer.stats().deadLettered() >= 1, indexer.stats()::toString);

        // searches and clicks through the search service's HTTP API: impressions and clicks for feedback
        URI search = service.uri();
        for (int round = 0; round < 6; round++) {
            String query = topics[round % topics.length] + " question " + round;
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(search.resolve("search?q="
                    + URLEncoder.encode(query, StandardCharsets.UTF_8) + "&k=5&user_id=u" + round)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(200);
            JsonNode answer = Json.MAPPER.readTree(res.body());
            String docId = answer.get("hits").get(1).get("doc_id").asText();
            HttpResponse<String> click = http.send(HttpRequest.newBuilder(search.resolve("clicks"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"click_token\":\"" + answer.get("click_token").asText()
                            + "\",\"doc_id\":\"" + docId + "\",\"dwell_ms\":30000}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(click.statusCode()).isEqualTo(202);
        }
        Await.until(Duration.ofSeconds(60), () -> feedback.stats().examplesEmitted() >= 2, feedback.stats()::toString);
        Await.until(Duration.ofSeconds(120), () -> trainer.stats().consumedExamples() >= 2
                && trainer.stats().trainings() >= 1, trainer.stats()::toString);
        // the Kafka binders pick up per-partition metrics on their refresh; lag series appear once assigned
        Await.until(Duration.ofSeconds(60), () -> scrape(indexMgmt).contains("kafka_consumer_fetch_manager_records_lag{"),
                () -> "indexer consumer lag series");
        Await.until(Duration.ofSeconds(60), () -> scrape(trainMgmt).contains("kafka_consumer_fetch_manager_records_lag{"),
                () -> "trainer consumer lag series");

        String index = scrape(indexMgmt);
        String serve = scrape(serveMgmt);
        String fb = scrape(feedbackMgmt);
        String train = scrape(trainMgmt);
        Map<String, Double> indexValues = values(index);
        assertThat(indexValues.get("embedloop_index_received_documents_total")).isGreaterThanOrEqualTo(corpus.size() + 1.0);
        assertThat(indexValues.get("embedloop_index_indexed_documents_total")).isGreaterThanOrEqualTo((double) corpus.size());
        assertThat(index).contains("embedloop_index_dead_lettered_documents_total{class=\"bad_json\"} 1.0")
                .contains("embedloop_index_skipped_documents_total{reason=\"unchanged\"}")
                .contains("# HELP embedloop_index_indexed_documents_total Documents written to Qdrant");
        assertThat(indexValues.get("embedloop_encode_texts_total")).isGreaterThanOrEqualTo((double) corpus.size());
        assertThat(indexValues.get("embedloop_encode_tokens_total")).isGreaterThan(corpus.size() * 5.0);
        assertThat(indexValues.get("embedloop_encode_seconds_count")).isPositive();
        assertThat(indexValues.get("embedloop_qdrant_write_seconds_count")).isPositive();
        assertThat(indexValues.get("embedloop_index_ack_delay_seconds_count")).isGreaterThanOrEqualTo((double) corpus.size());
        assertThat(index).contains("kafka_stream_thread_process_total").contains("jvm_memory_used_bytes")
                .contains("process_cpu_usage");
        // the CLI's counters line reads the same meters
        assertThat(indexer.stats().toString()).contains("indexed=" + indexValues.get("embedloop_index_indexed_documents_total").longValue());

        Map<String, Double> serveValues = values(serve);
        assertThat(serveValues.get("embedloop_search_clicks_total")).isEqualTo(6.0);
        String version = models.encoder().model().version();
        assertThat(serve).contains("embedloop_model_info{role=\"query\",version=\"" + version + "\"} 1");
        assertThat(index).contains("embedloop_model_info{role=\"documents\",version=\"" + version + "\"} 1");
        assertThat(serve).contains("embedloop_search_requests_seconds_count{route=\"search\",status=\"200\"} 6");

        Map<String, Double> fbValues = values(fb);
        assertThat(fbValues.get("embedloop_feedback_impressions_total")).isGreaterThanOrEqualTo(6.0);
        assertThat(fbValues.get("embedloop_feedback_examples_total")).isGreaterThanOrEqualTo(2.0);
        assertThat(fb).contains("embedloop_feedback_dropped_total{reason=\"late\"}").contains("kafka_stream_thread_process_total");

        Map<String, Double> trainValues = values(train);
        assertThat(trainValues.get("embedloop_train_consumed_examples_total")).isGreaterThanOrEqualTo(2.0);
        assertThat(trainValues.get("embedloop_train_candidates_total")).isGreaterThanOrEqualTo(1.0);
        assertThat(train).contains("embedloop_train_gate_decisions_total{decision=\"rejected\"}")
                .contains("embedloop_model_info{role=\"live\",version=\"" + models.encoder().model().version() + "\"} 1");
        Await.until(Duration.ofSeconds(30), () -> status(trainMgmt, "ready") == 200, () -> "trainer /ready 200");
        Await.until(Duration.ofSeconds(30), () -> status(feedbackMgmt, "ready") == 200, () -> "feedback /ready 200");

        // every metric the dashboard queries exists in one of the scrapes
        Set<String> series = new TreeSet<>();
        for (String text : List.of(index, serve, fb, train)) {
            series.addAll(values(text).keySet());
        }
        Set<String> used = dashboardMetrics();
        assertThat(used).as("the dashboard queries metrics").hasSizeGreaterThan(10);
        List<String> missing = new ArrayList<>();
        for (String name : used) {
            if (!series.contains(name) && !ONLY_ON_FAILURE.contains(name)) {
                missing.add(name);
            }
        }
        assertThat(missing).as("dashboard metrics missing from the scrapes").isEmpty();
    }

    /** Metric names in the expressions of the provisioned dashboard. */
    static Set<String> dashboardMetrics() throws Exception {
        JsonNode dashboard = Json.MAPPER.readTree(Files.readString(
                TestData.projectRoot().resolve("deploy/grafana/dashboards/embedloop.json")));
        Set<String> names = new TreeSet<>();
        for (JsonNode expr : dashboard.findValues("expr")) {
            Matcher m = METRIC.matcher(expr.asText());
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** Series name → value of the last sample with that name (labels dropped). */
    static Map<String, Double> values(String scrape) {
        Map<String, Double> out = new java.util.HashMap<>();
        for (String line : scrape.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name = line.substring(0, brace >= 0 ? brace : line.indexOf(' '));
            try {
                out.merge(name, Double.parseDouble(line.substring(space + 1)), Double::sum);
            } catch (NumberFormatException e) {
                out.putIfAbsent(name, Double.NaN);
            }
        }
        return out;
    }

    static String scrape(Management m) {
        try {
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(m.uriOf("metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(200);
            return res.body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static int status(Management m, String path) {
        try {
            return http.send(HttpRequest.newBuilder(m.uriOf(path)).GET().build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
