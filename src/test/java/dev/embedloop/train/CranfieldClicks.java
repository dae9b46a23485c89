package dev.embedloop.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedloop.encode.CranfieldReferenceCheck;
import dev.embedloop.eval.ClickModel;
import dev.embedloop.events.TrainingExample;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Simulated click logs over a slice of Cranfield (BEIR copy, train judgements), small enough for a
 * test on two shared cores: some queries, their judged documents plus unjudged fillers. Result
 * pages are the base model's top 10 over the slice; users examine rank r with probability
 * (1/r)^0.7 ({@link ClickModel}) and click what they examine when it is relevant, or, for noise,
 * with a fixed chance whatever its relevance (drawn afresh for every session). Examples are paired
 * as the feedback topology does by default: skip-above negatives (at most 10), weight
 * min(10, 1/propensity).
 */
final class CranfieldClicks {

    static final Path DIR = CranfieldReferenceCheck.DEFAULT_DIR;

    record Slice(List<String> docIds, List<String> docTexts, List<String> queryIds, Map<String, String> queries,
            Map<String, Map<String, Integer>> qrels) {}

    private CranfieldClicks() {}

    static boolean available() {
        return Files.isRegularFile(DIR.resolve("corpus.jsonl")) && Files.isRegularFile(DIR.resolve("qrels/train.tsv"));
    }

    /** {@code queries} judged queries (seeded choice), their judged documents and {@code fillers} other documents. */
    static Slice slice(int queries, int fillers, long seed) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, String> corpus = new LinkedHashMap<>();
        try (BufferedReader r = Files.newBufferedReader(DIR.resolve("corpus.jsonl"))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    JsonNode d = json.readTree(line);
                    corpus.put(d.get("_id").asText(), (d.path("title").asText("") + " " + d.path("text").asText("")).trim());
                }
            }
        }
        Map<String, String> allQueries = new HashMap<>();
        try (BufferedReader r = Files.newBufferedReader(DIR.resolve("queries.jsonl"))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    JsonNode q = json.readTree(line);
                    allQueries.put(q.get("_id").asText(), q.get("text").asText());
                }
            }
        }
        Map<String, Map<String, Integer>> qrels = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(DIR.resolve("qrels/train.tsv"));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t");
            if (f.length == 3 && Integer.parseInt(f[2].trim()) > 0 && corpus.containsKey(f[1])) {
                qrels.computeIfAbsent(f[0], k -> new HashMap<>()).put(f[1], Integer.parseInt(f[2].trim()));
            }
        }
        List<String> ids = new ArrayList<>(qrels.keySet());
        ids.removeIf(id -> !allQueries.containsKey(id) || qrels.get(id).size() < 3);
        Collections.shuffle(ids, new Random(seed));
        List<String> chosen = List.copyOf(ids.subList(0, Math.min(queries, ids.size())));
        Set<String> docs = new LinkedHashSet<>();
        for (String q : chosen) {
            docs.addAll(qrels.get(q).keySet());
        }
        List<String> rest = new ArrayList<>(corpus.keySet());
        rest.removeAll(docs);
        Collections.shuffle(rest, new Random(seed + 1));
        docs.addAll(rest.subList(0, Math.min(fillers, rest.size())));
        List<String> docIds = List.copyOf(docs);
        List<String> texts = docIds.stream().map(corpus::get).toList();
        Map<String, String> qs = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> qr = new LinkedHashMap<>();
        for (String q : chosen) {
            qs.put(q, allQueries.get(q));
            qr.put(q, Map.copyOf(qrels.get(q)));
        }
        return new Slice(docIds, texts, chosen, qs, qr);
    }

    /**
     * {@code sessionsPerQuery} sessions per query in a seeded random order (timestamps 1 s apart),
     * each on the base model's top 10.
     *
     * @param noiseClickChance negative for clicks that follow relevance; else the chance that a user
     *     clicks an examined result, whatever its relevance
     */
    static List<TrainingExample> sessions(Slice s, EmbeddingCache cache, int sessionsPerQuery, double noiseClickChance,
            long seed) {
        List<float[]> docs = cache.documents(s.docTexts());
        Map<String, List<Integer>> pages = new HashMap<>();
        for (String q : s.queryIds()) {
            float[] qv = cache.query(s.queries().get(q));
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < docs.size(); i++) {
                order.add(i);
            }
            double[] score = new double[docs.size()];
            for (int i = 0; i < docs.size(); i++) {
                score[i] = dot(qv, docs.get(i));
            }
            order.sort((a, b) -> Double.compare(score[b], score[a]));
            pages.put(q, List.copyOf(order.subList(0, 10)));
        }
        List<String> schedule = new ArrayList<>();
        for (String q : s.queryIds()) {
            for (int k = 0; k < sessionsPerQuery; k++) {
                schedule.add(q);
            }
        }
        Collections.shuffle(schedule, new Random(seed));
        ClickModel clickModel = new ClickModel(ClickModel.DEFAULT_ETA, ClickModel.DEFAULT_DWELL_MS);
        SplittableRandom rnd = new SplittableRandom(seed * 31 + 7);
        List<TrainingExample> out = new ArrayList<>();
        long t = 1_700_000_000_000L;
        int impression = 0;
        for (String q : schedule) {
            t += 1_000;
            impression++;
            List<Integer> page = pages.get(q);
            List<Integer> clicked = new ArrayList<>();
            for (int r = 0; r < page.size(); r++) {
                boolean examined = clickModel.examines(r + 1, rnd);
                boolean wants = noiseClickChance < 0
                        ? s.qrels().get(q).getOrDefault(s.docIds().get(page.get(r)), 0) > 0
                        : rnd.nextDouble() < noiseClickChance;
                if (examined && wants) {
                    clicked.add(r);
                }
            }
            if (clicked.isEmpty()) {
                continue;
            }
            int lowest = clicked.get(clicked.size() - 1);
            List<TrainingExample.Negative> negatives = new ArrayList<>();
            for (int r = 0; r < lowest && negatives.size() < 10; r++) {
                if (!clicked.contains(r)) {
                    int d = page.get(r);
                    negatives.add(new TrainingExample.Negative(s.docIds().get(d), s.docTexts().get(d), r + 1));
                }
            }
            for (int r : clicked) {
                int d = page.get(r);
                double weight = Math.min(10.0, Math.pow(r + 1, ClickModel.DEFAULT_ETA));
                out.add(new TrainingExample(s.queries().get(q),
                        new TrainingExample.Positive(s.docIds().get(d), s.docTexts().get(d)), negatives, weight,
                        cache.baseVersion(), "imp-" + impression, t));
            }
        }
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
