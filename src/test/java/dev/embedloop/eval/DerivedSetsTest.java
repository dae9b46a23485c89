package dev.embedloop.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DerivedSetsTest {

    @TempDir
    Path in;

    @TempDir
    Path out;

    /** Eight documents: six titles give queries; a short title, a repeated one and a missing one do not. */
    private BeirDataset corpus() throws IOException {
        List<String> lines = new ArrayList<>();
        String[][] docs = {
            {"1", "flow past a flat plate", "the boundary layer on a flat plate"},
            {"2", "heat transfer in hypersonic flow", "stagnation point heating"},
            {"3", "short title", "not a query: two words"},
            {"4", "flow past a flat plate", "a second document with the first one's title"},
            {"5", "buckling of thin cylindrical shells", "shells under axial load"},
            {"6", "wing   in a    slipstream", "whitespace runs count as one separator"},
            {"7", null, "no title at all"},
            {"8", "supersonic inlet design and testing", "inlets"},
            {"9", "vibration of a cantilever beam", "beams"},
        };
        for (String[] d : docs) {
            lines.add(d[1] == null
                    ? "{\"_id\":\"" + d[0] + "\",\"text\":\"" + d[2] + "\"}"
                    : "{\"_id\":\"" + d[0] + "\",\"title\":\"" + d[1] + "\",\"text\":\"" + d[2] + "\"}");
        }
        Files.write(in.resolve(BeirDataset.CORPUS), lines, StandardCharsets.UTF_8);
        Files.writeString(in.resolve(BeirDataset.QUERIES), "{\"_id\":\"x\",\"text\":\"unused\"}\n");
        return BeirDataset.load(in);
    }

    @Test
    void shouldTurnEveryDistinctTitleOfFourWordsIntoAQueryJudgedOnItsOwnDocument() throws IOException {
        DerivedSets.Splits s = DerivedSets.write(corpus(), out, 5, 2, 1);

        Set<String> all = new HashSet<>();
        all.addAll(s.train());
        all.addAll(s.dev());
        all.addAll(s.test());
        assertThat(all).containsExactlyInAnyOrder("1", "2", "5", "6", "8", "9");
        assertThat(s.train()).hasSize(2);
        assertThat(s.dev()).hasSize(1);
        assertThat(s.test()).hasSize(3);

        for (String set : DerivedSets.PHRASINGS.keySet()) {
            BeirDataset data = BeirDataset.load(out.resolve(set));
            assertThat(data.queries()).hasSize(6);
            for (String split : List.of("train", "dev", "test")) {
                Qrels q = data.qrels(split);
                List<String> ids = split.equals("train") ? s.train() : split.equals("dev") ? s.dev() : s.test();
                assertThat(q.queryIds()).containsExactlyInAnyOrderElementsOf(
                        ids.stream().map(DerivedSets::queryId).toList());
                for (String id : ids) {
                    assertThat(q.of(DerivedSets.queryId(id))).isEqualTo(Map.of(id, 1));
                }
            }
            Map<String, BeirDataset.Document> byId = data.corpus().stream()
                    .collect(Collectors.toMap(BeirDataset.Document::id, d -> d));
            assertThat(byId).hasSize(9);
            // a query's own document loses its title; every other document keeps its title and text
            assertThat(byId.get("1").title()).isEmpty();
            assertThat(byId.get("4").title()).isEqualTo("flow past a flat plate");
            assertThat(byId.get("3").title()).isEqualTo("short title");
            assertThat(byId.get("6").text()).isEqualTo("whitespace runs count as one separator");
        }
        String phrase = DerivedSets.PHRASINGS.get("request-titles");
        assertThat(BeirDataset.load(out.resolve("request-titles")).queries().get("q2"))
                .isEqualTo(phrase + "heat transfer in hypersonic flow");
        assertThat(BeirDataset.load(out.resolve("titles")).queries().get("q2")).isEqualTo("heat transfer in hypersonic flow");
    }

    @Test
    void shouldDrawTheSameSplitsForTheSameSeed() throws IOException {
        BeirDataset data = corpus();
        DerivedSets.Splits first = DerivedSets.write(data, out.resolve("a"), 5, 2, 1);
        DerivedSets.Splits again = DerivedSets.write(data, out.resolve("b"), 5, 2, 1);
        assertThat(again).isEqualTo(first);
        assertThat(Files.readAllLines(out.resolve("b/titles/qrels/test.tsv")))
                .isEqualTo(Files.readAllLines(out.resolve("a/titles/qrels/test.tsv")));
    }

    @Test
    void shouldRefuseSplitsLargerThanTheTitlesAllow() throws IOException {
        BeirDataset data = corpus();
        assertThatThrownBy(() -> DerivedSets.write(data, out, 5, 5, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("6 titles give queries");
    }
}
