package dev.embedloop.encode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Correctness and speed reference for the encoder: exact cosine search over the BEIR copy of
 * Cranfield, scored with nDCG@10 over the judged test queries. Documents are
 * {@code title + " " + text}, truncated by the encoder to the model's 256 tokens. With the fp32
 * model, nDCG@10 with exponential gains (2^grade − 1) is 0.3772, the expected 0.377; trec_eval's
 * linear gains give 0.3929 on the same ranking. (Truncating at 128 tokens, the tokenizer.json
 * default, gives 0.391 / 0.407; at 512, 0.366 / 0.382.)
 *
 * <p>Not a test (it takes a few minutes); run it by hand:
 *
 * <pre>
 * mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp target/classes:target/test-classes:$(cat /tmp/cp.txt) \
 *     dev.embedloop.encode.CranfieldReferenceCheck [beir-dir] [--quick]
 * </pre>
 *
 * {@code --quick} runs only the fp32 default configuration.
 */
public final class CranfieldReferenceCheck {

    /** Where the shared data set lives on the team's machines. */
    public static final Path DEFAULT_DIR = dev.embedloop.testing.TestData.cranfield();

    /** A BEIR data set: corpus ids and texts, queries, and graded test judgements. */
    public record Beir(List<String> docIds, List<String> docTexts, Map<String, String> queries,
            Map<String, Map<String, Integer>> qrels) {

        /** Loads {@code corpus.jsonl}, {@code queries.jsonl} and {@code qrels/test.tsv}. */
        public static Beir load(Path dir) throws IOException {
            ObjectMapper json = new ObjectMapper();
            List<String> ids = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            try (BufferedReader r = Files.newBufferedReader(dir.resolve("corpus.jsonl"))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode d = json.readTree(line);
                    ids.add(d.get("_id").asText());
                    String title = d.path("title").asText("");
                    texts.add(title + " " + d.path("text").asText(""));
                }
            }
            Map<String, String> queries = new LinkedHashMap<>();
            try (BufferedReader r = Files.newBufferedReader(dir.resolve("queries.jsonl"))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (!line.isBlank()) {
                        JsonNode q = json.readTree(line);
                        queries.put(q.get("_id").asText(), q.get("text").asText());
                    }
                }
            }
            Map<String, Map<String, Integer>> qrels = new LinkedHashMap<>();
            List<String> lines = Files.readAllLines(dir.resolve("qrels/test.tsv"));
            for (String line : lines.subList(1, lines.size())) { // header: query-id corpus-id score
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t");
                qrels.computeIfAbsent(f[0], k -> new HashMap<>()).put(f[1], Integer.parseInt(f[2].trim()));
            }
            return new Beir(List.copyOf(ids), List.copyOf(texts), queries, qrels);
        }
    }

    private CranfieldReferenceCheck() {}

    /** How a judgement grade g becomes a gain. */
    public enum Gain {
        /** g, as trec_eval and pytrec_eval ({@code ndcg_cut}) do. */
        LINEAR,
        /** 2^g − 1, as scikit-learn style and many IR papers do; the 0.377 reference uses this. */
        EXPONENTIAL;

        double of(int grade) {
            return grade <= 0 ? 0 : this == LINEAR ? grade : Math.pow(2, grade) - 1;
        }
    }

    /**
     * Mean nDCG@k over the judged queries, ranking documents by dot product (cosine for unit
     * vectors); the ideal ranking comes from all judgements of the query, grades ≤ 0 count as not
     * relevant.
     */
    public static double ndcgAt(int k, Beir data, List<float[]> docVectors, Map<String, float[]> queryVectors,
            Gain gain) {
        double total = 0;
        int counted = 0;
        for (Map.Entry<String, Map<String, Integer>> e : data.qrels().entrySet()) {
            float[] q = queryVectors.get(e.getKey());
            if (q == null) {
                continue;
            }
            int[] top = topK(k, q, docVectors);
            Map<String, Integer> rel = e.getValue();
            double dcg = 0;
            for (int r = 0; r < top.length; r++) {
                dcg += gain.of(rel.getOrDefault(data.docIds().get(top[r]), 0)) / log2(r + 2);
            }
            int[] ideal = rel.values().stream().mapToInt(Integer::intValue).filter(g -> g > 0)
                    .boxed().sorted((a, b) -> b - a).mapToInt(Integer::intValue).toArray();
            double idcg = 0;
            for (int r = 0; r < Math.min(k, ideal.length); r++) {
                idcg += gain.of(ideal[r]) / log2(r + 2);
            }
            total += idcg == 0 ? 0 : dcg / idcg;
            counted++;
        }
        return total / counted;
    }

    private static int[] topK(int k, float[] q, List<float[]> docs) {
        double[] scores = new double[docs.size()];
        Integer[] order = new Integer[docs.size()];
        for (int i = 0; i < docs.size(); i++) {
            float[] d = docs.get(i);
            double s = 0;
            for (int j = 0; j < d.length; j++) {
                s += q[j] * d[j];
            }
            scores[i] = s;
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        int n = Math.min(k, docs.size());
        int[] top = new int[n];
        for (int i = 0; i < n; i++) {
            top[i] = order[i];
        }
        return top;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    /** Encodes corpus and queries with one configuration and prints nDCG@10 and docs/s. */
    static List<float[]> run(String label, ModelDirectory model, EncoderOptions options, Beir data) throws IOException {
        try (DjlOnnxEncoder encoder = DjlOnnxEncoder.load(model, options)) {
            long t0 = System.nanoTime();
            List<float[]> docs = encoder.encodeDocuments(data.docTexts());
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, float[]> queries = new HashMap<>();
            for (String id : data.qrels().keySet()) {
                queries.put(id, encoder.encodeQuery(data.queries().get(id)));
            }
            System.out.printf("%-36s %5.1f docs/s (%d docs in %5.1f s)  nDCG@10 %.4f (linear gains: %.4f)%n",
                    label, docs.size() / seconds, docs.size(), seconds,
                    ndcgAt(10, data, docs, queries, Gain.EXPONENTIAL), ndcgAt(10, data, docs, queries, Gain.LINEAR));
            return docs;
        }
    }

    private static double meanCosine(List<float[]> a, List<float[]> b) {
        double sum = 0;
        for (int i = 0; i < a.size(); i++) {
            double s = 0;
            for (int j = 0; j < a.get(i).length; j++) {
                s += a.get(i)[j] * b.get(i)[j];
            }
            sum += s;
        }
        return sum / a.size();
    }

    public static void main(String[] args) throws IOException {
        Path dir = DEFAULT_DIR;
        boolean quick = false;
        for (String a : args) {
            if (a.equals("--quick")) {
                quick = true;
            } else {
                dir = Path.of(a);
            }
        }
        Beir data = Beir.load(dir);
        System.out.printf("Cranfield: %d docs, %d judged test queries, %d cores%n",
                data.docIds().size(), data.qrels().size(), Runtime.getRuntime().availableProcessors());
        BundledModels models = BundledModels.standard();
        ModelDirectory fp32 = models.bundled(BundledModels.MINILM);
        List<float[]> reference = run("fp32, defaults (2 x batch 1)", fp32, EncoderOptions.defaults(), data);
        if (quick) {
            return;
        }
        ModelDirectory q = models.bundled(BundledModels.MINILM_Q);
        List<float[]> quantized = run("int8 -q, defaults (2 x batch 1)", q, EncoderOptions.defaults(), data);
        List<float[]> batched = run("fp32, batches of 16 sorted",
                fp32, EncoderOptions.defaults().withBatching(16, true), data);
        run("int8 -q, batches of 16 sorted", q, EncoderOptions.defaults().withBatching(16, true), data);
        run("fp32, 1 predictor x 2 ORT threads", fp32, EncoderOptions.defaults().withParallelism(1).withThreads(2, 1), data);
        System.out.printf("mean cosine fp32 batched vs one-by-one: %.6f; int8 vs fp32: %.4f%n",
                meanCosine(batched, reference), meanCosine(quantized, reference));
    }
}
