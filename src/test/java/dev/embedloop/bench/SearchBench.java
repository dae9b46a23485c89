package dev.embedloop.bench;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.kafka.KafkaTopics;
import io.qdrant.client.QdrantClient;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Section 5: latency of {@code GET /search} with {@value #CLIENTS} concurrent clients against the
 * search service on the local mode, interleaved with the same searches made in-process through
 * the {@code Searcher} (no HTTP, no impression written) as the baseline.
 *
 * <p>The search package is being written while this benchmark is; it is reached by reflection so
 * that a change of its signatures fails this row at run time (reported in the table) instead of
 * breaking the test build.
 */
final class SearchBench {

    static final int CLIENTS = 8;
    static final String SERVICE_CLASS = "dev.embedloop.search.SearchService";

    private final Settings settings;
    private final Dataset dataset;
    private final Services s;
    private final Report report;

    SearchBench(Settings settings, Dataset dataset, Services services, Report report) {
        this.settings = settings;
        this.dataset = dataset;
        this.s = services;
        this.report = report;
    }

    static boolean serviceExists() {
        try {
            Class.forName(SERVICE_CLASS);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    void run() throws Exception {
        List<String> queries = new ArrayList<>(dataset.queries().values());
        if (queries.isEmpty()) {
            for (Dataset.Doc d : dataset.sample(50)) {
                queries.add(d.title().isBlank() ? d.body() : d.title());
            }
        }
        Collections.shuffle(queries, new java.util.Random(7));
        EmbedloopConfig cfg = s.cfg;
        if (s.indexer.stats().indexed() == 0) {
            // the pipeline section did not run: index the sample so there is something to find
            List<Dataset.Doc> docs = dataset.sample(settings.docs());
            for (Dataset.Doc d : docs) {
                s.publisher.publish("s-" + d.id(), Services.event("s-" + d.id(), d));
            }
            Services.awaitCount(s.indexer.stats()::indexed, docs.size(), Duration.ofMinutes(30), "documents indexed");
        }
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.feedbackTopics(cfg));

        Class<?> serviceType = Class.forName(SERVICE_CLASS);
        Class<?> optionsType = Class.forName(SERVICE_CLASS + "$Options");
        Class<?> backendType = Class.forName("dev.embedloop.search.SearchBackend");
        Class<?> logType = Class.forName("dev.embedloop.search.FeedbackLog");
        Object searcher = Class.forName("dev.embedloop.search.Searcher")
                .getConstructor(QdrantClient.class, TextEncoder.class, String.class, Duration.class)
                .newInstance(s.client, s.models.encoder(), cfg.qdrant().collection(), cfg.qdrant().timeout());
        Method search = backendType.getMethod("search", String.class, int.class);
        AutoCloseable log = (AutoCloseable) Class.forName("dev.embedloop.search.KafkaFeedbackLog")
                .getMethod("create", EmbedloopConfig.class).invoke(null, cfg);
        Object options = optionsType.getMethod("of", EmbedloopConfig.class).invoke(null, cfg);
        options = optionsType.getMethod("withPort", int.class).invoke(options, 0);
        AutoCloseable service = (AutoCloseable) serviceType.getMethod("start", optionsType, backendType, logType)
                .invoke(null, options, searcher, log);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            URI base = (URI) serviceType.getMethod("uri").invoke(service);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            Call direct = q -> {
                try {
                    search.invoke(searcher, q, 10);
                } catch (InvocationTargetException e) {
                    throw (Exception) e.getCause();
                }
            };
            Call viaHttp = q -> {
                HttpRequest req = HttpRequest.newBuilder(base.resolve("/search?k=10&q="
                        + URLEncoder.encode(q, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(60)).GET().build();
                HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (resp.statusCode() != 200) {
                    throw new IllegalStateException("GET /search answered " + resp.statusCode() + ": " + resp.body());
                }
            };
            int perBlock = settings.quick() ? 2 * CLIENTS : 25 * CLIENTS;
            // warm both paths
            block(clients, direct, queries, CLIENTS, new ArrayList<>());
            block(clients, viaHttp, queries, CLIENTS, new ArrayList<>());
            List<Double> directMs = Collections.synchronizedList(new ArrayList<>());
            List<Double> httpMs = Collections.synchronizedList(new ArrayList<>());
            double directSeconds = 0;
            double httpSeconds = 0;
            System.out.println("[bench] 5: " + settings.rounds() + " interleaved rounds of " + perBlock + " searches, "
                    + CLIENTS + " clients (load " + Machine.loadAverage() + ")");
            Machine.CpuMeter meter = new Machine.CpuMeter(Runtime.getRuntime().availableProcessors());
            for (int r = 0; r < settings.rounds(); r++) {
                boolean httpFirst = r % 2 == 1;
                for (int k = 0; k < 2; k++) {
                    boolean isHttp = (k == 0) == httpFirst;
                    double sec = block(clients, isHttp ? viaHttp : direct, queries, perBlock, isHttp ? httpMs : directMs);
                    if (isHttp) {
                        httpSeconds += sec;
                    } else {
                        directSeconds += sec;
                    }
                }
            }
            double foreign = meter.foreignShare();
            double h50 = Rounds.percentile(httpMs, 50);
            double h99 = Rounds.percentile(httpMs, 99);
            double d50 = Rounds.percentile(directMs, 50);
            double d99 = Rounds.percentile(directMs, 99);
            report.add(new Report.Row("5", "Search: `GET /search?k=10` with " + CLIENTS + " concurrent clients, "
                    + "`SearchService` on the local mode (impressions to Kafka), " + httpMs.size() + " requests",
                    "p50 " + Report.f0(h50) + " ms · p99 " + Report.f0(h99) + " ms · "
                            + Report.f1(httpMs.size() / httpSeconds) + " req/s",
                    "`Searcher.search` in-process, " + CLIENTS + " threads: p50 " + Report.f0(d50) + " ms · p99 "
                            + Report.f0(d99) + " ms · " + Report.f1(directMs.size() / directSeconds) + " req/s",
                    Report.f2(h50 / d50) + " (p50)", "—", "—"));
            report.detail(String.format(Locale.ROOT, "**Search (section 5):** %d queries from the data set, cycled; "
                    + "other processes used %s of the CPU meanwhile. With %d clients and 2 encoder workers, a request "
                    + "mostly waits for a free encoder: latency ≈ clients ÷ throughput.", queries.size(),
                    Report.pct(foreign), CLIENTS));
        } finally {
            clients.shutdownNow();
            service.close();
            log.close();
        }
    }

    @FunctionalInterface
    private interface Call {
        void call(String query) throws Exception;
    }

    /** {@code total} calls spread over the client threads; returns the wall time in seconds. */
    private static double block(ExecutorService clients, Call call, List<String> queries, int total, List<Double> ms)
            throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < CLIENTS; c++) {
            futures.add(clients.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < total; ) {
                    String q = queries.get(QUERY_CURSOR.getAndIncrement() % queries.size());
                    long s0 = System.nanoTime();
                    call.call(q);
                    ms.add((System.nanoTime() - s0) / 1e6);
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static final AtomicInteger QUERY_CURSOR = new AtomicInteger();
}
