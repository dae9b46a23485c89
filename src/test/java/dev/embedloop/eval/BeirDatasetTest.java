package dev.embedloop.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BeirDatasetTest {

    @TempDir
    Path dir;

    @Test
    void shouldLoadCorpusQueriesAndGradedJudgementsOfASplit() throws IOException {
        TinyBeir.write(dir);
        BeirDataset data = BeirDataset.load(dir);
        assertThat(data.corpus()).hasSize(12);
        assertThat(data.corpus().get(0)).isEqualTo(new BeirDataset.Document("d1", "Sourdough bread",
                "Wild yeast and lactic acid bacteria leaven sourdough bread; the starter is fed flour and water."));
        assertThat(data.queries()).containsKeys("q1", "q6").hasSize(6);

        Qrels test = data.qrels("test");
        assertThat(test.split()).isEqualTo("test");
        assertThat(test.queryIds()).containsExactly("q1", "q2", "q3", "q4", "q99");
        assertThat(test.of("q3")).isEqualTo(Map.of("d3", 1, "d10", 0));
        assertThat(test.of("q6")).isEmpty();
        assertThat(test.size()).isEqualTo(6);
        assertThat(data.qrels("train").queryIds()).containsExactly("q5", "q1");
    }

    @Test
    void shouldEvaluateOnlyJudgedQueriesThatHaveAText() throws IOException {
        TinyBeir.write(dir);
        BeirDataset data = BeirDataset.load(dir);
        assertThat(Evaluation.evaluatedQueries(data, data.qrels("test"))).containsOnlyKeys("q1", "q2", "q3", "q4");
    }

    @Test
    void shouldReadNegativeGradesAndQrelsWithoutHeaderOrWithSpaces() throws IOException {
        TinyBeir.write(dir);
        Files.writeString(dir.resolve("qrels/dev.tsv"), "q1 d1 -1\n\nq1  d2  4\n");
        Qrels dev = BeirDataset.load(dir).qrels("dev");
        assertThat(dev.of("q1")).isEqualTo(Map.of("d1", -1, "d2", 4));
    }

    @Test
    void shouldLetTheLastLineOfARepeatedIdCountAsBeirDoesAndCountTheRepeats() throws IOException {
        TinyBeir.write(dir);
        Files.write(dir.resolve("corpus.jsonl"), List.of(TinyBeir.doc("a", "t", "first"), TinyBeir.doc("b", "bt", "bee"),
                TinyBeir.doc("a", "t2", "second"), TinyBeir.doc("a", "t3", "third")));
        Files.write(dir.resolve("queries.jsonl"), List.of(TinyBeir.query("q1", "old"), TinyBeir.query("q1", "new")));
        Files.writeString(dir.resolve("qrels/test.tsv"), "query-id\tcorpus-id\tscore\nq1\ta\t1\nq1\tb\t1\nq1\ta\t2\n");
        BeirDataset data = BeirDataset.load(dir);
        assertThat(data.corpus()).containsExactly(new BeirDataset.Document("a", "t3", "third"),
                new BeirDataset.Document("b", "bt", "bee"));
        assertThat(data.queries()).containsExactly(Map.entry("q1", "new"));
        assertThat(data.repeatedDocumentIds()).isEqualTo(2);
        assertThat(data.repeatedQueryIds()).isEqualTo(1);
        assertThat(data.repeatedIdNotes()).hasSize(2).allSatisfy(n -> assertThat(n).contains("the last line of each"));
        Qrels test = data.qrels("test");
        assertThat(test.of("q1")).containsExactly(Map.entry("a", 2), Map.entry("b", 1));
        assertThat(test.repeatedJudgements()).isEqualTo(1);

        TinyBeir.write(dir);
        BeirDataset clean = BeirDataset.load(dir);
        assertThat(clean.repeatedIdNotes()).isEmpty();
        assertThat(clean.qrels("test").repeatedJudgements()).isZero();
    }

    @Test
    void shouldSkipAByteOrderMarkBeforeTheFirstLine() throws IOException {
        TinyBeir.write(dir);
        Files.writeString(dir.resolve("corpus.jsonl"), "\ufeff" + TinyBeir.doc("a", "t", "x") + "\n");
        Files.writeString(dir.resolve("queries.jsonl"), "\ufeff" + TinyBeir.query("q1", "x") + "\n");
        Files.writeString(dir.resolve("qrels/test.tsv"), "\ufeffq1\ta\t1\n");
        BeirDataset data = BeirDataset.load(dir);
        assertThat(data.corpus()).extracting(BeirDataset.Document::id).containsExactly("a");
        assertThat(data.queries()).containsOnlyKeys("q1");
        assertThat(data.qrels("test").of("q1")).isEqualTo(Map.of("a", 1));
    }

    @Test
    void shouldAcceptNumericIdsAndMissingTitles() throws IOException {
        TinyBeir.write(dir);
        Files.writeString(dir.resolve("corpus.jsonl"), "{\"_id\": 7, \"text\": \"seven\"}\n");
        BeirDataset data = BeirDataset.load(dir);
        assertThat(data.corpus()).containsExactly(new BeirDataset.Document("7", null, "seven"));
    }

    @Test
    void shouldNameTheMissingFile() throws IOException {
        TinyBeir.write(dir);
        Files.delete(dir.resolve("queries.jsonl"));
        assertThatThrownBy(() -> BeirDataset.load(dir))
                .isInstanceOf(BeirDataset.DatasetException.class)
                .hasMessageContaining(dir.resolve("queries.jsonl").toString())
                .hasMessageContaining("missing");
        assertThatThrownBy(() -> BeirDataset.load(dir.resolve("nope")))
                .isInstanceOf(BeirDataset.DatasetException.class).hasMessageContaining("does not exist");
    }

    @Test
    void shouldListTheAvailableSplitsWhenTheSplitIsMissing() throws IOException {
        TinyBeir.write(dir);
        BeirDataset data = BeirDataset.load(dir);
        assertThatThrownBy(() -> data.qrels("dev"))
                .isInstanceOf(BeirDataset.DatasetException.class)
                .hasMessageContaining("qrels/dev.tsv")
                .hasMessageContaining("splits there: test, train");
        assertThatThrownBy(() -> data.qrels("../corpus")).hasMessageContaining("bad split name");
    }

    @Test
    void shouldNameFileAndLineOfBadCorpusLines() throws IOException {
        TinyBeir.write(dir);
        Path corpus = dir.resolve("corpus.jsonl");
        assertBadCorpus(List.of(TinyBeir.doc("a", "t", "x"), "{\"_id\": \"b\", \"text\": "), corpus + " line 2: not valid JSON");
        assertBadCorpus(List.of("[1, 2]"), corpus + " line 1: not a JSON object");
        assertBadCorpus(List.of("", "{\"title\": \"t\", \"text\": \"x\"}"), corpus + " line 2: missing or empty \"_id\"");
        assertBadCorpus(List.of("{\"_id\": \"a\", \"title\": \"t\"}"), corpus + " line 1: document 'a' has no \"text\"");
        assertBadCorpus(List.of("{\"_id\": \"a\", \"text\": 5}"), corpus + " line 1: \"text\" must be a string");
        assertBadCorpus(List.of(""), corpus + ": no documents");
    }

    @Test
    void shouldNameFileAndLineOfBadQueriesAndQrels() throws IOException {
        TinyBeir.write(dir);
        Path queries = dir.resolve("queries.jsonl");
        Files.write(queries, List.of(TinyBeir.query("q1", "x"), "{\"_id\": \"q2\", \"text\": \"  \"}"));
        assertThatThrownBy(() -> BeirDataset.load(dir)).hasMessage(queries + " line 2: query 'q2' has no \"text\"");

        TinyBeir.write(dir);
        BeirDataset data = BeirDataset.load(dir);
        Path qrels = dir.resolve("qrels/test.tsv");
        Files.writeString(qrels, "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\n");
        assertThatThrownBy(() -> data.qrels("test"))
                .hasMessage(qrels + " line 3: expected 3 columns (query-id, corpus-id, score), found 2");
        Files.writeString(qrels, "query-id\tcorpus-id\tscore\nq1\td1\thigh\n");
        assertThatThrownBy(() -> data.qrels("test")).hasMessage(qrels + " line 2: score 'high' is not an integer");
        Files.writeString(qrels, "query-id\tcorpus-id\tscore\n");
        assertThatThrownBy(() -> data.qrels("test")).hasMessage(qrels + ": no judgements");
    }

    @Test
    void shouldRejectTextThatIsNotUtf8() throws IOException {
        TinyBeir.write(dir);
        Files.write(dir.resolve("corpus.jsonl"), new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}'});
        assertThatThrownBy(() -> BeirDataset.load(dir)).hasMessageContaining("not UTF-8");
    }

    private void assertBadCorpus(List<String> lines, String message) throws IOException {
        Files.write(dir.resolve("corpus.jsonl"), lines, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BeirDataset.load(dir))
                .isInstanceOf(BeirDataset.DatasetException.class)
                .hasMessageStartingWith(message);
    }
}
