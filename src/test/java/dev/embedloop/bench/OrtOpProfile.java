package dev.embedloop.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.ModelDirectory;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where ONNX Runtime spends the time inside the model: runs texts one at a time through a session
 * with ONNX Runtime's own profiler on (one intra-op thread, the encoder's setting) and prints the
 * time per operator type. Java profilers see only {@code OrtSession.run}; this looks inside.
 *
 * <pre>
 * java -cp ... dev.embedloop.bench.OrtOpProfile DATASET_DIR [model name or dir] [docs] [optLevel]
 * </pre>
 */
public final class OrtOpProfile {

    private OrtOpProfile() {}

    public static void main(String[] args) throws Exception {
        OrtEnvironment env = PlainOrtEncoder.environment();
        Dataset dataset = Dataset.load(Path.of(args[0]));
        ModelDirectory dir = BundledModels.resolveModel(args.length > 1 ? args[1] : BundledModels.MINILM);
        List<String> texts = Dataset.texts(dataset.sample(args.length > 2 ? Integer.parseInt(args[2]) : 100));
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(1);
        opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.valueOf(args.length > 3 ? args[3] : "ALL_OPT"));
        Path prefix = Files.createTempDirectory("ort-profile-").resolve("profile");
        opts.enableProfiling(prefix.toString());
        Map<String, Long> byOp = new TreeMap<>();
        long runs = 0;
        try (OrtSession session = env.createSession(dir.modelFile().toString(), opts);
                HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder().optTokenizerPath(dir.tokenizerFile())
                        .optAddSpecialTokens(true).optTruncation(true).optMaxLength(256).optPadding(false).build()) {
            for (String t : texts) {
                Encoding e = tok.encode(t);
                long[] shape = {1, e.getIds().length};
                long[] mask = new long[e.getIds().length];
                java.util.Arrays.fill(mask, 1);
                Map<String, OnnxTensor> in = new HashMap<>();
                in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(e.getIds()), shape));
                in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
                if (session.getInputNames().contains("token_type_ids")) {
                    in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(e.getTypeIds()), shape));
                }
                session.run(in).close();
                in.values().forEach(OnnxTensor::close);
                runs++;
            }
            String file = session.endProfiling();
            JsonNode events = new ObjectMapper().readTree(Path.of(file).toFile());
            long model = 0;
            for (JsonNode ev : events) {
                if (!"Node".equals(ev.path("cat").asText()) || !ev.path("name").asText().endsWith("_kernel_time")) {
                    if ("Session".equals(ev.path("cat").asText()) && "model_run".equals(ev.path("name").asText())) {
                        model += ev.path("dur").asLong();
                    }
                    continue;
                }
                byOp.merge(ev.path("args").path("op_name").asText(), ev.path("dur").asLong(), Long::sum);
            }
            long total = byOp.values().stream().mapToLong(Long::longValue).sum();
            System.out.printf(Locale.ROOT, "%s, %d runs, model_run %.1f ms/run, kernels %.1f ms/run%n", dir.root().getFileName(),
                    runs, model / 1000.0 / runs, total / 1000.0 / runs);
            Map<String, Long> sorted = new LinkedHashMap<>();
            byOp.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(en -> sorted.put(en.getKey(), en.getValue()));
            for (Map.Entry<String, Long> en : sorted.entrySet()) {
                System.out.printf(Locale.ROOT, "  %-32s %6.2f ms/run %5.1f%%%n", en.getKey(), en.getValue() / 1000.0 / runs,
                        100.0 * en.getValue() / total);
            }
        }
        System.exit(0);
    }
}
