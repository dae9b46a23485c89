package dev.embedloop.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.events.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pure parts of an evaluation run: scoring with a fake search, settings, the report file. */
class EvaluationTest {

    @TempDir
    Path dir;

    @Test
    void shouldTagEmbeddedRunsBySeedSoThatTheirInterleavedPagesRepeat() {
        assertThat(Evaluation.runTag(7, true)).isEqualTo(Evaluation.runTag(7, true)).isNotEqualTo(Evaluation.runTag(8, true));
        // against services that outlive a run, two runs' sessions never mix
        assertThat(Evaluation.runTag(7, false)).isNotEqualTo(Evaluation.runTag(7, false));
    }

    @Test
    void shouldScoreEveryEvaluatedQueryWithTheRankingItsSearchReturned() throws IOException {
        BeirDataset data = BeirDataset.load(TinyBeir.write(dir));
        Qrels qrels = data.qrels("test");
        List<String> asked = new ArrayList<>();
        // the right document first for q1 and q2, second for q3 (tied with a wrong one), absent for q4
        Map<String, List<Metrics.Scored>> answers = Map.of(
                "how is sourdough bread leavened with wild yeast", List.of(s("d1", 0.9), s("d2", 0.1)),
                "why does an airplane wing stall at high angle of attack", List.of(s("d2", 0.8)),
                "what pesticides harm honey bee colonies", List.of(s("d3", 0.5), s("d4", 0.5)),
                "how does a volcano erupt lava", List.of(s("d6", 0.7), s("d7", 0.6)));
        List<Metrics.QueryScores> scores = Evaluation.scoreQueries(Evaluation.evaluatedQueries(data, qrels), qrels, 10, 100, false,
                q -> {
                    asked.add(q);
                    return answers.get(q);
                }, null);

        assertThat(asked).hasSize(4);
        assertThat(scores).extracting(Metrics.QueryScores::queryId).containsExactly("q1", "q2", "q3", "q4");
        assertThat(scores).extracting(Metrics.QueryScores::reciprocalRank).containsExactly(1.0, 1.0, 0.5, 0.0);
        Metrics.Summary summary = Metrics.average(10, 100, scores);
        assertThat(summary.mrr()).isCloseTo(2.5 / 4, within(1e-12));
        assertThat(summary.recall()).isCloseTo(0.75, within(1e-12));
        assertThat(summary.ndcg()).isCloseTo((1 + 1 + 1 / (Math.log(3) / Math.log(2)) + 0) / 4, within(1e-12));
    }

    @Test
    void shouldLeaveEachQuerysOwnIdOutOfItsResultsOnlyWhenAsked(@TempDir Path dir) throws Exception {
        BeirDataset data = BeirDataset.load(TinyBeir.write(dir));
        Qrels qrels = data.qrels("test");
        // as in ArguAna: the query is a corpus document too, and is its own nearest neighbour
        Function<String, List<Metrics.Scored>> search = q -> List.of(s("q1", 0.99), s("q2", 0.98), s("d1", 0.9),
                s("d2", 0.8), s("d3", 0.7), s("d6", 0.6));
        Map<String, String> queries = Evaluation.evaluatedQueries(data, qrels);

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        List<Metrics.QueryScores> kept = Evaluation.scoreQueries(queries, qrels, 10, 100, false, search,
                new PrintStream(printed, true, StandardCharsets.UTF_8));
        // q1's own id is first for q1 only: 1 of 4 queries, no note
        assertThat(printed.toString(StandardCharsets.UTF_8)).doesNotContain("--ignore-identical-ids");
        Evaluation.scoreQueries(queries, qrels, 10, 100, false, q -> List.of(s(idOf(queries, q), 1.0), s("d1", 0.5)),
                new PrintStream(printed, true, StandardCharsets.UTF_8));
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .contains("in 4 of 4 queries the top result is the document with the query's own id")
                .contains("--ignore-identical-ids");
        List<Metrics.QueryScores> left = Evaluation.scoreQueries(queries, qrels, 10, 100, true, search, null);

        // q1's relevant d1: third with its own id and q2's, second without its own (q2 is another document)
        assertThat(kept.get(0).reciprocalRank()).isEqualTo(1.0 / 3);
        assertThat(left.get(0).reciprocalRank()).isEqualTo(0.5);
        assertThat(left.get(1).reciprocalRank()).isEqualTo(1.0 / 3); // q2: q1, d1, then its d2
        // the depth counts what is scored: one more is fetched, so that leaving one out keeps the depth
        List<Metrics.QueryScores> shallow = Evaluation.scoreQueries(queries, qrels, 2, 2, true, search, null);
        assertThat(shallow.get(0).reciprocalRank()).isEqualTo(0.5);
        assertThat(settings(10, true, true, null).searchDepth()).isEqualTo(100);
        assertThat(new EvalSettings(dir, "test", true, 10, dir.resolve("out.json"), false, true, Duration.ofMinutes(1),
                Duration.ofSeconds(30), null, true).searchDepth()).isEqualTo(101);
    }

    private static String idOf(Map<String, String> queries, String text) {
        return queries.entrySet().stream().filter(e -> e.getValue().equals(text)).findFirst().orElseThrow().getKey();
    }

    @Test
    void shouldValidateSettingsBeforeAnythingStarts() {
        assertThatThrownBy(() -> settings(0, true, true, null)).hasMessageContaining("--k must be between 1 and 1000");
        assertThatThrownBy(() -> settings(10, false, false, null)).hasMessageContaining("--no-publish needs --external");
        assertThatThrownBy(() -> new EvalSettings.Clicks("train", 0, 5, 0.7, 30_000, 42, null))
                .hasMessageContaining("--rounds");
        assertThatThrownBy(() -> new EvalSettings.Clicks("train", 1, 0, 0.7, 30_000, 42, null))
                .hasMessageContaining("--sessions");
        assertThatThrownBy(() -> new EvalSettings.Clicks("train", 1, 1, -1, 30_000, 42, null))
                .hasMessageContaining("eta");
        assertThat(settings(10, true, true, null).depth()).isEqualTo(100);
        assertThat(settings(250, true, true, null).depth()).isEqualTo(250);
    }

    @Test
    void shouldFailFastWhenEmbeddedClicksHaveNoSearchServiceYet() throws IOException {
        TinyBeir.write(dir);
        EvalSettings settings = new EvalSettings(dir, "test", true, 10, dir.resolve("out.json"), false, true,
                Duration.ofMinutes(1), Duration.ofSeconds(30), new EvalSettings.Clicks("train", 1, 1, 0.7, 30_000, 42, null));
        if (!EmbeddedSearch.wired()) {
            assertThatThrownBy(() -> Evaluation.run(ConfigLoader.defaults(), settings, System.err))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--search-url");
        }
    }

    @Test
    void shouldFailOnAMissingSplitBeforeStartingAnything() throws IOException {
        TinyBeir.write(dir);
        EvalSettings settings = new EvalSettings(dir, "dev", true, 10, dir.resolve("out.json"), false, true,
                Duration.ofMinutes(1), Duration.ofSeconds(30), null);
        assertThatThrownBy(() -> Evaluation.run(ConfigLoader.defaults(), settings, System.err))
                .isInstanceOf(BeirDataset.DatasetException.class).hasMessageContaining("qrels/dev.tsv");
    }

    @Test
    void shouldWriteTheReportAsJsonWithCutoffsInTheMetricNames() throws IOException {
        Metrics.Summary summary = new Metrics.Summary(10, 100, 2, 0.5, 0.4, 0.9, 0.75);
        EvalReport report = new EvalReport("data", "test", "embedded", "all-minilm-l6-v2-q", "v-q", false, 32, 12, 5, 4,
                EvalReport.metricsOf(summary),
                new EvalReport.Indexing(12, 12, 0L, 12L, 3.0, 4.0),
                new EvalReport.Search(4, 100, false, 0.5, 8.0),
                new EvalReport.Clicks("train", 2, 5, 0.7, 30_000, 42, "http://localhost:1",
                        List.of(new ClickSimulator.RoundReport(1, 10, 3, 0.8, 1.5, List.of("v-q")))),
                null,
                Map.of("q1", EvalReport.metricsOf(10, 100, new Metrics.QueryScores("q1", 1, 1, 1, 1))));
        Path out = dir.resolve("sub/results.json");
        report.write(out);

        JsonNode json = Json.MAPPER.readTree(Files.readAllBytes(out));
        assertThat(json.get("metrics").get("ndcg@10").asDouble()).isEqualTo(0.5);
        assertThat(json.get("metrics").get("ndcg@10_exp").asDouble()).isEqualTo(0.4);
        assertThat(json.get("metrics").get("recall@100").asDouble()).isEqualTo(0.9);
        assertThat(json.get("metrics").get("mrr@10").asDouble()).isEqualTo(0.75);
        assertThat(json.get("indexing").get("docs_per_s").asDouble()).isEqualTo(4.0);
        assertThat(json.get("search").get("queries_per_s").asDouble()).isEqualTo(8.0);
        assertThat(json.get("clicks").get("rounds").get(0).get("impressions").asLong()).isEqualTo(10);
        assertThat(json.get("clicks").get("rounds").get(0).get("served_ndcg@10").asDouble()).isEqualTo(0.8);
        assertThat(json.get("per_query").get("q1").get("mrr@10").asDouble()).isEqualTo(1.0);
        assertThat(json.get("model_version").asText()).isEqualTo("v-q");
        try (var files = Files.list(out.getParent())) {
            assertThat(files).containsExactly(out); // no temporary file left behind
        }
    }

    private EvalSettings settings(int k, boolean external, boolean publish, EvalSettings.Clicks clicks) {
        return new EvalSettings(dir, "test", true, k, dir.resolve("out.json"), external, publish,
                Duration.ofMinutes(1), Duration.ofSeconds(30), clicks);
    }

    private static Metrics.Scored s(String id, double score) {
        return new Metrics.Scored(id, score);
    }
}
