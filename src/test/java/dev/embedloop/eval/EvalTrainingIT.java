package dev.embedloop.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.BundledModels;
import dev.embedloop.events.Json;
import dev.embedloop.testing.TestData;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval --simulate-clicks} with training and the online phase, end to end in the embedded
 * mode: the round's clicks train a candidate that goes under test, the next round's simulated
 * users see interleaved pages, and the report carries the online gate's counts and decision. On a
 * slice of Cranfield (40 train queries, their judged documents and 120 others; 20 test queries)
 * with the int8 model, so that it runs in about a minute.
 */
class EvalTrainingIT {

    private static final int TRAIN_QUERIES = 40;
    private static final int TEST_QUERIES = 20;
    private static final int FILLERS = 120;

    @TempDir
    Path dir;

    @Test
    void shouldDecideTheCandidateUnderTestOnTheNextRoundsInterleavedClicks() throws Exception {
        Path cranfield = TestData.requireFiles(TestData.cranfield(), "corpus.jsonl", "queries.jsonl", "qrels/train.tsv",
                "qrels/test.tsv");
        writeSlice(cranfield, dir);
        EmbedloopConfig cfg = ConfigLoader.defaults().with(Map.of(
                "model", BundledModels.MINILM_Q,
                "train.online-gate", "true",
                // the screen lets every candidate with enough held-out examples through: what is under test
                // here is that the online phase runs and is reported, not whether this slice's clicks help
                "train.gate-margin", "1",
                "train.min-holdout", "10",
                "train.online-min-preferences", "10",
                "search.interleave-fraction", "0.5"));
        Path output = dir.resolve("eval.json");
        EvalSettings settings = new EvalSettings(dir.resolve("beir"), "test", false, 10, output, false, true,
                Duration.ofMinutes(5), Duration.ofSeconds(30),
                new EvalSettings.Clicks("train", 2, 5, 0.7, 30_000, 7, null, "query-only"));

        EvalReport report = Evaluation.run(cfg, settings, System.err);
        report.print(System.err);

        assertThat(report.training()).hasSize(2);
        EvalReport.TrainingRound first = report.training().get(0);
        assertThat(first.status()).as(first.reason()).isEqualTo("under_test");
        assertThat(first.candidate()).isNotNull();
        assertThat(first.online()).as("nothing was under test during round 1").isNull();
        assertThat(first.modelVersion()).as("under test is not live").isNotEqualTo(first.candidate());
        // what its promotion would give, searched with the candidate itself: reported, never decided on
        assertThat(first.candidateMetrics()).as("the test split with the candidate under test").isNotNull();
        assertThat(first.candidateMetrics().get("ndcg@10")).isBetween(0.0, 1.0);

        EvalReport.TrainingRound second = report.training().get(1);
        EvalReport.Online online = second.online();
        assertThat(online).as("the online gate's decision after round 2").isNotNull();
        assertThat(online.candidate()).isEqualTo(first.candidate());
        assertThat(online.live()).isEqualTo(first.modelVersion());
        assertThat(online.wins() + online.losses() + online.ties())
                .as("interleaved impressions with clicks in round 2").isPositive();
        assertThat(online.verdict()).isIn("promote", "abandon", "continue");
        assertThat(online.pValue()).isBetween(0.0, 1.0);
        if (online.verdict().equals("promote")) {
            assertThat(second.modelVersion()).isEqualTo(first.candidate());
        } else {
            assertThat(second.modelVersion()).isEqualTo(first.modelVersion());
        }

        JsonNode json = Json.MAPPER.readTree(output.toFile());
        JsonNode written = json.get("training").get(1).get("online");
        assertThat(written.get("candidate").asText()).isEqualTo(first.candidate());
        assertThat(written.get("wins").asInt()).isEqualTo(online.wins());
        assertThat(written.get("verdict").asText()).isEqualTo(online.verdict());
        assertThat(json.get("training").get(0).get("status").asText()).isEqualTo("under_test");
        assertThat(json.get("training").get(0).get("candidate_metrics").get("ndcg@10").asDouble())
                .isEqualTo(first.candidateMetrics().get("ndcg@10"));
        boolean stillUnderTest = "under_test".equals(second.status()) || online.verdict().equals("continue");
        assertThat(second.candidateMetrics() != null).as("candidate metrics exactly when a candidate is under test")
                .isEqualTo(stillUnderTest);
    }

    /** The first train and test queries with judgements, their judged documents and some others, in BEIR layout. */
    private static void writeSlice(Path from, Path to) throws IOException {
        Path out = to.resolve("beir");
        Files.createDirectories(out.resolve("qrels"));
        List<String[]> train = qrels(from.resolve("qrels/train.tsv"));
        List<String[]> test = qrels(from.resolve("qrels/test.tsv"));
        Set<String> trainQueries = firstQueries(train, TRAIN_QUERIES);
        Set<String> testQueries = firstQueries(test, TEST_QUERIES);
        Set<String> docs = new LinkedHashSet<>();
        List<String> trainLines = new ArrayList<>(List.of("query-id\tcorpus-id\tscore"));
        List<String> testLines = new ArrayList<>(List.of("query-id\tcorpus-id\tscore"));
        for (String[] r : train) {
            if (trainQueries.contains(r[0])) {
                docs.add(r[1]);
                trainLines.add(String.join("\t", r));
            }
        }
        for (String[] r : test) {
            if (testQueries.contains(r[0])) {
                docs.add(r[1]);
                testLines.add(String.join("\t", r));
            }
        }
        Files.write(out.resolve("qrels/train.tsv"), trainLines);
        Files.write(out.resolve("qrels/test.tsv"), testLines);
        List<String> corpus = new ArrayList<>();
        int fillers = 0;
        try (BufferedReader r = Files.newBufferedReader(from.resolve("corpus.jsonl"))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String id = Json.MAPPER.readTree(line).get("_id").asText();
                if (docs.contains(id) || fillers++ < FILLERS) {
                    corpus.add(line);
                }
            }
        }
        Files.write(out.resolve("corpus.jsonl"), corpus);
        Set<String> queries = new LinkedHashSet<>(trainQueries);
        queries.addAll(testQueries);
        List<String> queryLines = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(from.resolve("queries.jsonl"))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (queries.contains(Json.MAPPER.readTree(line).get("_id").asText())) {
                    queryLines.add(line);
                }
            }
        }
        Files.write(out.resolve("queries.jsonl"), queryLines);
    }

    private static List<String[]> qrels(Path file) throws IOException {
        List<String[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String[] f = line.split("\t");
            if (f.length == 3 && !f[0].equals("query-id") && Integer.parseInt(f[2]) > 0) {
                out.add(f);
            }
        }
        return out;
    }

    private static Set<String> firstQueries(List<String[]> qrels, int n) {
        Set<String> out = new LinkedHashSet<>();
        for (String[] r : qrels) {
            if (out.size() == n && !out.contains(r[0])) {
                break;
            }
            out.add(r[0]);
        }
        return out;
    }
}
