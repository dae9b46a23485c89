package dev.embedloop.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.events.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole evaluation in one JVM on a tiny data set: embedded Kafka broker, Qdrant local mode, the
 * real (quantized) MiniLM model, the indexing topology, the searcher, the metrics and the JSON file.
 */
class EvalEndToEndIT {

    @TempDir
    Path dir;

    @Test
    void shouldScoreEveryJudgedQueryWriteTheResultsAndSimulateClicks() throws Exception {
        Path data = TinyBeir.write(dir.resolve("tiny"));
        Path output = dir.resolve("results.json");
        EmbedloopConfig cfg = ConfigLoader.defaults().with(Map.of("model", "all-minilm-l6-v2-q"));
        // until the real search service is wired into the embedded mode, clicks go to a fake one
        try (FakeSearchService service = new FakeSearchService(Map.of(
                "how is sourdough bread leavened with wild yeast", List.of("d1", "d2", "d3"),
                "a query judged only in train", List.of("d5", "d6")))) {
            EvalSettings settings = new EvalSettings(data, "test", false, 10, output, false, true,
                    Duration.ofMinutes(5), Duration.ofSeconds(30),
                    new EvalSettings.Clicks("train", 2, 3, 0.7, 30_000, 42, service.uri()));

            EvalReport report = Evaluation.run(cfg, settings, System.err);
            report.print(System.err);
            assertReport(report, output);

            // 2 train queries x 3 sessions x 2 rounds; rank 1 (d1 for q1) is always examined and relevant
            assertThat(service.searches).hasSize(12);
            assertThat(report.clicks().rounds()).extracting(ClickSimulator.RoundReport::impressions).containsExactly(6L, 6L);
            assertThat(service.clicks).hasSizeGreaterThanOrEqualTo(6)
                    .allSatisfy(c -> assertThat(c.get("doc_id").asText()).isIn("d1", "d6"));
            JsonNode json = Json.MAPPER.readTree(Files.readAllBytes(output));
            assertThat(json.get("clicks").get("rounds")).hasSize(2);
            assertThat(json.get("clicks").get("search_url").asText()).isEqualTo(service.uri().toString());
        }
    }

    @Test
    void shouldReadACorpusAsBeirDoesRepeatedIdsAByteOrderMarkAndATitleAlone() throws Exception {
        Path data = TinyBeir.write(dir.resolve("repeats"));
        List<String> corpus = new java.util.ArrayList<>(TinyBeir.CORPUS);
        corpus.set(0, "\ufeff" + corpus.get(0));
        corpus.add(TinyBeir.doc("d13", "Knitting", "Knitting a wool scarf by hand takes patience and two needles."));
        corpus.add(TinyBeir.CORPUS.get(3)); // d4 again, unchanged: skipped, and still accounted for
        corpus.add(TinyBeir.doc("d13", "Penguins", "Emperor penguins huddle together to survive the Antarctic winter."));
        corpus.add(TinyBeir.doc("d14", "How bicycle derailleurs shift gears", ""));
        Files.write(data.resolve("corpus.jsonl"), corpus, java.nio.charset.StandardCharsets.UTF_8);
        List<String> queries = new java.util.ArrayList<>(TinyBeir.QUERIES);
        queries.add(TinyBeir.query("q7", "how do emperor penguins survive the antarctic winter"));
        queries.add(TinyBeir.query("q8", "how does a bicycle derailleur change gear"));
        Files.write(data.resolve("queries.jsonl"), queries, java.nio.charset.StandardCharsets.UTF_8);
        Files.writeString(data.resolve("qrels/test.tsv"), TinyBeir.TEST_QRELS + "q7\td13\t2\nq8\td14\t2\nq7\td13\t1\n");
        Path output = dir.resolve("repeats.json");
        EvalSettings settings = new EvalSettings(data, "test", false, 10, output, false, true,
                Duration.ofMinutes(5), Duration.ofSeconds(30), null);

        EvalReport report = Evaluation.run(ConfigLoader.defaults().with(Map.of("model", "all-minilm-l6-v2-q")),
                settings, System.err);

        assertThat(report.corpusDocuments()).isEqualTo(14);
        assertThat(report.indexing().published()).isEqualTo(16);
        assertThat(report.indexing().documents()).isEqualTo(14);
        assertThat(report.indexing().deadLettered()).isZero();
        // the last line of d13 is the one indexed, and a title alone is found
        assertThat(report.perQuery().get("q7").get("mrr@10")).isEqualTo(1.0);
        assertThat(report.perQuery().get("q8").get("mrr@10")).isEqualTo(1.0);
    }

    private static void assertReport(EvalReport report, Path output) throws Exception {
        assertThat(report.corpusDocuments()).isEqualTo(12);
        assertThat(report.judgedQueries()).isEqualTo(5);
        assertThat(report.evaluatedQueries()).isEqualTo(4);
        assertThat(report.indexing().documents()).isEqualTo(12);
        assertThat(report.indexing().deadLettered()).isZero();
        assertThat(report.indexing().chunks()).isEqualTo(12);
        assertThat(report.chunking()).isFalse();
        assertThat(report.metrics().get("ndcg@10")).isGreaterThan(0.8);
        assertThat(report.metrics().get("mrr@10")).isGreaterThan(0.8);
        assertThat(report.metrics().get("recall@100")).isEqualTo(1.0);
        assertThat(report.search().queries()).isEqualTo(4);
        assertThat(report.search().queriesPerSecond()).isPositive();

        assertThat(output).exists();
        JsonNode json = Json.MAPPER.readTree(Files.readAllBytes(output));
        assertThat(json.get("mode").asText()).isEqualTo("embedded");
        assertThat(json.get("model").asText()).isEqualTo("all-minilm-l6-v2-q");
        assertThat(json.get("metrics").get("ndcg@10").asDouble()).isEqualTo(report.metrics().get("ndcg@10"));
        assertThat(json.get("per_query").size()).isEqualTo(4);
        assertThat(json.get("indexing").get("docs_per_s").asDouble()).isPositive();
    }
}
