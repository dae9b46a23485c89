package dev.embedloop.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A tiny BEIR-layout data set written into a test's temporary directory: twelve documents on
 * unrelated topics, four test queries whose right document is obvious, and train judgements.
 */
final class TinyBeir {

    private TinyBeir() {}

    static final List<String> CORPUS = List.of(
            doc("d1", "Sourdough bread", "Wild yeast and lactic acid bacteria leaven sourdough bread; the starter is fed flour and water."),
            doc("d2", "Wing stall", "An aircraft wing stalls when the angle of attack is too high and the airflow separates from the upper surface."),
            doc("d3", "Honey bees", "Honey bees pollinate crops; pesticides such as neonicotinoids harm their colonies."),
            doc("d4", "Chess openings", "The Sicilian Defence is a chess opening that answers 1.e4 with c5."),
            doc("d5", "Volcanoes", "A volcano erupts when magma rises through the crust and lava flows out of the vent."),
            doc("d6", "Kafka logs", "Apache Kafka stores events in an append-only distributed log that consumers can replay."),
            doc("d7", "Coral reefs", "Coral reefs bleach when warm ocean water makes the corals expel their symbiotic algae."),
            doc("d8", "Tea", "Green tea and black tea come from the same plant; black tea leaves are oxidised."),
            doc("d9", "Marathon", "Marathon runners train long distances and eat carbohydrates before a race."),
            doc("d10", "Photosynthesis", "Plants turn sunlight, water and carbon dioxide into sugar and oxygen by photosynthesis."),
            doc("d11", "Violin", "A violin is a bowed string instrument with four strings tuned in fifths."),
            doc("d12", "Glaciers", "Glaciers are rivers of ice that carve valleys as they slowly move downhill."));

    static final List<String> QUERIES = List.of(
            query("q1", "how is sourdough bread leavened with wild yeast"),
            query("q2", "why does an airplane wing stall at high angle of attack"),
            query("q3", "what pesticides harm honey bee colonies"),
            query("q4", "how does a volcano erupt lava"),
            query("q5", "a query judged only in train"),
            query("q6", "a query without any judgement"));

    static final String TEST_QRELS = "query-id\tcorpus-id\tscore\n"
            + "q1\td1\t2\n"
            + "q2\td2\t2\n"
            + "q3\td3\t1\n"
            + "q3\td10\t0\n"
            + "q4\td5\t2\n"
            + "q99\td4\t1\n"; // a judged query that queries.jsonl does not have: not evaluated

    static final String TRAIN_QRELS = "query-id\tcorpus-id\tscore\n"
            + "q5\td6\t1\n"
            + "q1\td1\t1\n";

    static Path write(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("qrels"));
        Files.write(dir.resolve("corpus.jsonl"), CORPUS, StandardCharsets.UTF_8);
        Files.write(dir.resolve("queries.jsonl"), QUERIES, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("qrels/test.tsv"), TEST_QRELS, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("qrels/train.tsv"), TRAIN_QRELS, StandardCharsets.UTF_8);
        return dir;
    }

    static String doc(String id, String title, String text) {
        return "{\"_id\": \"" + id + "\", \"title\": \"" + title + "\", \"text\": \"" + text + "\"}";
    }

    static String query(String id, String text) {
        return "{\"_id\": \"" + id + "\", \"text\": \"" + text + "\"}";
    }
}
