package dev.embedloop.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A BEIR data set as the benchmark reads it: {@code corpus.jsonl} ({@code _id, title, text}),
 * {@code queries.jsonl} ({@code _id, text}) and {@code qrels/test.tsv} (header
 * {@code query-id corpus-id score}). Kept apart from {@code dev.embedloop.eval} on purpose: the
 * benchmark must not move when the evaluation code does.
 *
 * @param dir the data set directory
 * @param docs the corpus in file order
 * @param queries query id → text, file order
 * @param qrels query id → (document id → grade), from the test split; empty if the file is absent
 */
record Dataset(Path dir, List<Doc> docs, Map<String, String> queries, Map<String, Map<String, Integer>> qrels) {

    /** One corpus document; {@link #text()} is what gets encoded, as the indexer reads it: {@code title + " " + body}. */
    record Doc(String id, String title, String body) {
        String text() {
            return title == null || title.isBlank() ? body : body.isBlank() ? title : title + " " + body;
        }
    }

    static Dataset load(Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Doc> docs = new ArrayList<>();
        Path corpus = dir.resolve("corpus.jsonl");
        if (!Files.isRegularFile(corpus)) {
            throw new IllegalArgumentException("no corpus.jsonl in " + dir + " (--dataset takes a BEIR-layout directory)");
        }
        try (BufferedReader r = Files.newBufferedReader(corpus, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode d = json.readTree(line);
                String body = d.path("text").asText("");
                String title = d.path("title").asText("");
                if (body.isBlank() && title.isBlank()) {
                    continue; // the indexer dead-letters these; nothing to encode
                }
                docs.add(new Doc(d.get("_id").asText(), title, body));
            }
        }
        Map<String, String> queries = new LinkedHashMap<>();
        Path queriesFile = dir.resolve("queries.jsonl");
        if (Files.exists(queriesFile)) {
            try (BufferedReader r = Files.newBufferedReader(queriesFile, StandardCharsets.UTF_8)) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (!line.isBlank()) {
                        JsonNode q = json.readTree(line);
                        queries.put(q.get("_id").asText(), q.get("text").asText());
                    }
                }
            }
        }
        Map<String, Map<String, Integer>> qrels = new LinkedHashMap<>();
        Path qrelsFile = dir.resolve("qrels").resolve("test.tsv");
        if (Files.exists(qrelsFile)) {
            List<String> lines = Files.readAllLines(qrelsFile, StandardCharsets.UTF_8);
            for (int i = 1; i < lines.size(); i++) { // line 0 is the header
                String line = lines.get(i);
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t");
                qrels.computeIfAbsent(f[0], k -> new HashMap<>()).put(f[1], Integer.parseInt(f[2].trim()));
            }
        }
        if (docs.isEmpty()) {
            throw new IOException(dir.resolve("corpus.jsonl") + " has no documents");
        }
        return new Dataset(dir, List.copyOf(docs), queries, qrels);
    }

    /**
     * {@code n} documents drawn without replacement in a fixed pseudo-random order (seed 42), so a
     * sample has the corpus's mix of lengths rather than its first documents; all of them when
     * {@code n} is at least the corpus size.
     */
    List<Doc> sample(int n) {
        List<Doc> shuffled = new ArrayList<>(docs);
        Collections.shuffle(shuffled, new Random(42));
        return List.copyOf(shuffled.subList(0, Math.min(n, shuffled.size())));
    }

    static List<String> texts(List<Doc> docs) {
        List<String> out = new ArrayList<>(docs.size());
        for (Doc d : docs) {
            out.add(d.text());
        }
        return out;
    }
}
