package dev.embedloop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the benchmark's quick mode end to end on a tiny data set written here, and checks the
 * shape of the table it writes: every row is there with numbers. No timing is asserted — speed on
 * a shared build machine says nothing.
 */
class BenchSmokeIT {

    private static final Pattern NUMBER = Pattern.compile("[-+]?\\d[\\d,]*(\\.\\d+)?");

    @TempDir
    Path tmp;

    @Test
    void shouldWriteEveryRowWithNumbersInQuickMode() throws Exception {
        Path data = writeTinyBeir(tmp.resolve("tiny"));
        Path out = tmp.resolve("BENCHMARKS.md");
        Files.writeString(out, "# Benchmarks\n\nHand-written analysis that a run must keep.\n");

        int code = Bench.run("--dataset", data.toString(), "--quick", "--docs", "12", "--memory-kb", "16",
                "--grid", "1,4", "--out", out.toString());

        String md = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(code).as("exit code; the report:%n%s", md).isZero();
        assertThat(md).startsWith("# Benchmarks\n\nHand-written analysis that a run must keep.\n");
        assertThat(md).contains(Report.BEGIN, Report.END, "- Machine: ", "- Command: `./bench --dataset ");
        for (String id : Report.ROW_IDS) {
            List<String> cells = row(md, id);
            assertThat(cells).as("row %s in%n%s", id, md).hasSize(7);
            if (id.equals("5") && !SearchBench.serviceExists()) {
                assertThat(cells.get(2)).contains("pending");
                continue;
            }
            assertThat(cells.get(2)).as("result of row %s", id).doesNotStartWith("n/a");
            assertThat(NUMBER.matcher(cells.get(2)).find()).as("result of row %s: %s", id, cells.get(2)).isTrue();
            assertThat(NUMBER.matcher(cells.get(3)).find()).as("baseline of row %s: %s", id, cells.get(3)).isTrue();
            assertThat(NUMBER.matcher(cells.get(4)).find()).as("ratio of row %s: %s", id, cells.get(4)).isTrue();
        }

        // a second run replaces the generated block instead of appending another
        String firstBlock = md.substring(md.indexOf(Report.BEGIN));
        Report.write(out, "## Results\n\nreplaced\n");
        String again = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(again).doesNotContain(firstBlock).contains("replaced").contains("Hand-written analysis");
        assertThat(again.split(Pattern.quote(Report.BEGIN), -1)).hasSize(2);
    }

    /** The cells of the table row {@code id}, or an empty list. */
    private static List<String> row(String md, String id) {
        for (String line : md.split("\n")) {
            if (line.startsWith("| " + id + " |")) {
                String[] raw = line.substring(1, line.length() - 1).split(" \\| ", -1);
                List<String> cells = new ArrayList<>();
                for (String c : raw) {
                    cells.add(c.trim());
                }
                return cells;
            }
        }
        return List.of();
    }

    /** Twelve documents, one of them long (several chunks), four judged test queries. */
    private static Path writeTinyBeir(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("qrels"));
        String longText = String.join(" ", java.util.Collections.nCopies(60,
                "The boundary layer thickens along the flat plate and separates where the pressure gradient turns adverse."));
        List<String> corpus = List.of(
                doc("d1", "Sourdough bread", "Wild yeast and lactic acid bacteria leaven sourdough bread; the starter is fed flour and water."),
                doc("d2", "Wing stall", "An aircraft wing stalls when the angle of attack is too high and the airflow separates from the upper surface."),
                doc("d3", "Honey bees", "Honey bees pollinate crops; pesticides such as neonicotinoids harm their colonies."),
                doc("d4", "Chess openings", "The Sicilian Defence is a chess opening that answers 1.e4 with c5."),
                doc("d5", "Volcanoes", "A volcano erupts when magma rises through the crust and lava flows out of the vent."),
                doc("d6", "Kafka logs", "Apache Kafka stores events in an append-only distributed log that consumers can replay."),
                doc("d7", "Coral reefs", "Coral reefs bleach when warm ocean water makes the corals expel their symbiotic algae."),
                doc("d8", "Tea", "Green tea and black tea come from the same plant; black tea leaves are oxidised."),
                doc("d9", "Boundary layers", longText),
                doc("d10", "Photosynthesis", "Plants turn sunlight, water and carbon dioxide into sugar and oxygen by photosynthesis."),
                doc("d11", "Violin", "A violin is a bowed string instrument with four strings tuned in fifths."),
                doc("d12", "Glaciers", "Glaciers are rivers of ice that carve valleys as they slowly move downhill."));
        Files.write(dir.resolve("corpus.jsonl"), corpus, StandardCharsets.UTF_8);
        Files.write(dir.resolve("queries.jsonl"), List.of(
                "{\"_id\": \"q1\", \"text\": \"how is sourdough bread leavened\"}",
                "{\"_id\": \"q2\", \"text\": \"why does a wing stall\"}",
                "{\"_id\": \"q3\", \"text\": \"what harms honey bee colonies\"}",
                "{\"_id\": \"q4\", \"text\": \"where does the boundary layer separate\"}"), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("qrels/test.tsv"),
                "query-id\tcorpus-id\tscore\nq1\td1\t2\nq2\td2\t2\nq3\td3\t1\nq4\td9\t2\n", StandardCharsets.UTF_8);
        return dir;
    }

    private static String doc(String id, String title, String text) {
        return "{\"_id\": \"" + id + "\", \"title\": \"" + title + "\", \"text\": \"" + text + "\"}";
    }
}
