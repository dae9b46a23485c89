package dev.embedloop.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A developer tool (not a test): writes the data sets LEARNING.md derives from a corpus with titles
 * (Cranfield's), in BEIR layout. Every document whose title has at least four words and is not an
 * earlier document's title gives a query, its title, whose one relevant document is itself with
 * the title removed from the corpus (the other documents keep theirs). The queries are shuffled
 * with a seeded {@link Random}; the first {@code train} are the click split ({@code qrels/train.tsv}),
 * the next {@code dev} the development split ({@code qrels/dev.tsv}), the rest the test split
 * ({@code qrels/test.tsv}). One directory per phrasing: {@code titles} (the title as it is),
 * {@code shifted-titles} and {@code request-titles} (a phrase before every query, {@link #PHRASINGS}).
 *
 * <pre>
 *   java -cp target/test-classes:target/classes:$(cat cp.txt) dev.embedloop.eval.DerivedSets \
 *     ../shared/datasets/cranfield/beir /tmp/derived [seed 5] [train 800] [dev 300]
 * </pre>
 */
public final class DerivedSets {

    /** Each derived set's directory name and the phrase before every query. */
    static final Map<String, String> PHRASINGS = phrasings();

    private static final ObjectMapper JSON = new ObjectMapper();

    private DerivedSets() {}

    private static Map<String, String> phrasings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("titles", "");
        m.put("shifted-titles", "grandma's favourite soup recipes with garlic, onions and fresh basil: ");
        m.put("request-titles", "explain like i'm five, in simple words with an example: ");
        return Collections.unmodifiableMap(m);
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: DerivedSets CORPUS_DIR OUT_DIR [seed] [train] [dev]");
            System.exit(2);
        }
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 5;
        int train = args.length > 3 ? Integer.parseInt(args[3]) : 800;
        int dev = args.length > 4 ? Integer.parseInt(args[4]) : 300;
        Splits s = write(BeirDataset.load(Path.of(args[0])), Path.of(args[1]), seed, train, dev);
        System.out.printf("%d queries: %d train, %d dev, %d test; written to %s%n", s.train().size() + s.dev().size()
                + s.test().size(), s.train().size(), s.dev().size(), s.test().size(), args[1]);
    }

    /** The document ids (each its own query's one relevant document) of the three splits. */
    record Splits(List<String> train, List<String> dev, List<String> test) {}

    /** The documents that give a query, in corpus order: a title of at least four words, not an earlier one's. */
    static List<BeirDataset.Document> queryDocuments(BeirDataset data) {
        Set<String> seen = new HashSet<>();
        List<BeirDataset.Document> out = new ArrayList<>();
        for (BeirDataset.Document d : data.corpus()) {
            String title = d.title() == null ? "" : d.title().strip();
            if (title.isEmpty() || title.split("\\s+").length < 4 || !seen.add(title)) {
                continue;
            }
            out.add(d);
        }
        return out;
    }

    /** Writes every phrasing's set under {@code out}; returns the splits (the same for every phrasing). */
    static Splits write(BeirDataset data, Path out, long seed, int train, int dev) {
        List<BeirDataset.Document> queryDocs = queryDocuments(data);
        if (queryDocs.size() < train + dev + 1) {
            throw new IllegalArgumentException(queryDocs.size() + " titles give queries, fewer than train " + train
                    + " + dev " + dev + " + at least one test query");
        }
        List<String> ids = new ArrayList<>(queryDocs.stream().map(BeirDataset.Document::id).toList());
        Collections.shuffle(ids, new Random(seed));
        Splits splits = new Splits(List.copyOf(ids.subList(0, train)), List.copyOf(ids.subList(train, train + dev)),
                List.copyOf(ids.subList(train + dev, ids.size())));
        Set<String> asQuery = new HashSet<>(ids);
        for (Map.Entry<String, String> p : PHRASINGS.entrySet()) {
            Path dir = out.resolve(p.getKey());
            try {
                Files.createDirectories(dir.resolve(BeirDataset.QRELS_DIR));
                try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(BeirDataset.CORPUS), StandardCharsets.UTF_8)) {
                    for (BeirDataset.Document d : data.corpus()) {
                        ObjectNode n = JSON.createObjectNode().put("_id", d.id())
                                .put("title", asQuery.contains(d.id()) || d.title() == null ? "" : d.title())
                                .put("text", d.text());
                        w.write(JSON.writeValueAsString(n));
                        w.newLine();
                    }
                }
                try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(BeirDataset.QUERIES), StandardCharsets.UTF_8)) {
                    for (BeirDataset.Document d : queryDocs) {
                        w.write(JSON.writeValueAsString(JSON.createObjectNode().put("_id", queryId(d.id()))
                                .put("text", p.getValue() + d.title().strip())));
                        w.newLine();
                    }
                }
                qrels(dir, "train", splits.train());
                qrels(dir, "dev", splits.dev());
                qrels(dir, "test", splits.test());
            } catch (IOException e) {
                throw new UncheckedIOException("could not write " + dir, e);
            }
        }
        return splits;
    }

    /** The query id of the title of document {@code docId}. */
    static String queryId(String docId) {
        return "q" + docId;
    }

    private static void qrels(Path dir, String split, List<String> docIds) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(BeirDataset.QRELS_DIR).resolve(split + ".tsv"),
                StandardCharsets.UTF_8)) {
            w.write("query-id\tcorpus-id\tscore\n");
            for (String id : docIds) {
                w.write(queryId(id) + "\t" + id + "\t1\n");
            }
        }
    }
}
