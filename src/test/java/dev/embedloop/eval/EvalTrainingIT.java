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
 * mode: between session passes the trainer trains when due, its candidate goes under test, the
 * later sessions' simulated users see interleaved pages, and the report carries every step, the
 * online gate's counts and decisions. On a
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
                // a session pass of 40 queries gives about 40 examples: a training is due after the first
                "train.every-examples", "40",
                "search.interleave-fraction", "0.5"));
        Path output = dir.resolve("eval.json");
        EvalSettings settings = new EvalSettings(dir.resolve("beir"), "test", false, 10, output, false, true,
                Duration.ofMinutes(5), Duration.ofSeconds(30),
                new EvalSettings.Clicks("train", 2, 3, 0.7, 30_000, 7, null, "query-only"));

        EvalReport report = Evaluation.run(cfg, settings, System.err);
        report.print(System.err);

        assertThat(report.training()).hasSize(2);
        EvalReport.TrainingRound first = report.training().get(0);
        // between session passes the trainer trains when due: the first candidate is trained inside round 1
        assertThat(first.steps()).as("what the trainer did between round 1's sessions").isNotEmpty();
        assertThat(first.steps()).allSatisfy(s -> assertThat(s.session()).isBetween(1, 2));
        EvalReport.Step trained = first.steps().get(0);
        assertThat(trained.online()).as("nothing was under test before it").isNull();
        assertThat(trained.status()).as(trained.reason()).isEqualTo("under_test");
        assertThat(trained.candidate()).isNotNull();
        assertThat(trained.examples()).isGreaterThanOrEqualTo(40);
        assertThat(trained.modelVersion()).as("under test is not live").isNotEqualTo(trained.candidate());
        List<String> roundOneCandidates = first.steps().stream().map(EvalReport.Step::candidate)
                .filter(java.util.Objects::nonNull).toList();
        // ...and judged on the interleaved pages of round 1's later sessions
        EvalReport.Online judged = first.online() != null ? first.online()
                : first.steps().stream().map(EvalReport.Step::online).filter(java.util.Objects::nonNull).findFirst()
                        .orElse(null);
        assertThat(judged).as("the online gate's look at a candidate trained in round 1, on round 1's clicks")
                .isNotNull();
        assertThat(judged.candidate()).isIn(roundOneCandidates);
        assertThat(judged.wins() + judged.losses() + judged.ties()).as("interleaved impressions with clicks")
                .isPositive();
        assertThat(judged.verdict()).isIn("promote", "abandon", "continue");
        assertThat(judged.pValue()).isBetween(0.0, 1.0);

        EvalReport.TrainingRound second = report.training().get(1);
        EvalReport.Online decided = second.online();
        if (decided != null) {
            assertThat(decided.verdict()).isIn("promote", "abandon", "continue");
            if (decided.verdict().equals("promote")) {
                assertThat(second.modelVersion()).isEqualTo(decided.candidate());
            }
        }
        // what its promotion would give, searched with the candidate itself: reported, never decided on
        boolean stillUnderTest = "under_test".equals(second.status())
                || decided != null && decided.verdict().equals("continue");
        assertThat(second.candidateMetrics() != null).as("candidate metrics exactly when a candidate is under test")
                .isEqualTo(stillUnderTest);
        if (stillUnderTest) {
            assertThat(second.candidateMetrics().get("ndcg@10")).isBetween(0.0, 1.0);
        }

        JsonNode json = Json.MAPPER.readTree(output.toFile());
        JsonNode step = json.get("training").get(0).get("steps").get(0);
        assertThat(step.get("session").asInt()).isEqualTo(trained.session());
        assertThat(step.get("status").asText()).isEqualTo("under_test");
        assertThat(step.get("candidate").asText()).isEqualTo(trained.candidate());
        JsonNode written = json.get("training").get(0).get("online");
        if (first.online() != null) {
            assertThat(written.get("candidate").asText()).isEqualTo(first.online().candidate());
            assertThat(written.get("wins").asInt()).isEqualTo(first.online().wins());
            assertThat(written.get("verdict").asText()).isEqualTo(first.online().verdict());
        } else {
            assertThat(written == null || written.isNull()).isTrue();
        }
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
