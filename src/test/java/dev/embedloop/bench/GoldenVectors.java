package dev.embedloop.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.DjlOnnxEncoder;
import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.events.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the encoder's golden vectors ({@code src/test/resources/golden/<model>.json}) with the
 * baseline that shares none of the encoder's code: ONNX Runtime's Java API and the HuggingFace
 * tokenizer, with mean pooling and L2 normalisation written out ({@link PlainOrtEncoder}).
 * {@code encode.GoldenVectorTest} holds the encoder to them. Run it only when the model itself
 * changes, never to make a failing test pass:
 *
 * <pre>java -cp … dev.embedloop.bench.GoldenVectors [src/test/resources/golden]</pre>
 */
public final class GoldenVectors {

    /** Short, long (beyond the 256-token window), punctuated, non-ASCII and near-empty texts. */
    public static final List<String> TEXTS = List.of(
            "A cat sits on the mat.",
            "What are the structural and aeroelastic problems associated with flight of high speed aircraft?",
            "heat transfer",
            "Überschallströmung über einen gepfeilten Flügel — naïve café résumé 東京",
            "x",
            "The boundary layer on a flat plate at zero incidence becomes turbulent at high Reynolds numbers. "
                    .repeat(30));

    private GoldenVectors() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "src/test/resources/golden");
        Files.createDirectories(out);
        for (String name : List.of(BundledModels.MINILM)) {
            ModelDirectory dir = BundledModels.standard().bundled(name);
            // DJL creates the ONNX Runtime environment first (see PlainOrtEncoder.environment)
            try (DjlOnnxEncoder ignored = DjlOnnxEncoder.load(dir);
                    PlainOrtEncoder ort = new PlainOrtEncoder(dir.modelFile(), dir.tokenizerFile(),
                            dir.descriptor().maxTokens(), new PlainOrtEncoder.Config(
                                    PlainOrtEncoder.Layout.ONE_SESSION_2_THREADS, 1, false))) {
                List<float[]> vectors = ort.encode(TEXTS);
                ObjectNode root = Json.MAPPER.createObjectNode();
                root.put("model", name);
                root.put("made_by", "dev.embedloop.bench.GoldenVectors (plain ONNX Runtime + HF tokenizer)");
                ArrayNode items = root.putArray("vectors");
                for (int i = 0; i < TEXTS.size(); i++) {
                    ObjectNode item = items.addObject();
                    item.put("text", TEXTS.get(i));
                    ArrayNode v = item.putArray("vector");
                    for (float x : vectors.get(i)) {
                        v.add(Math.round(x * 1e7) / 1e7);
                    }
                }
                Path file = out.resolve(name + ".json");
                Json.MAPPER.writeValue(file.toFile(), root);
                System.out.println("wrote " + file);
            }
        }
    }
}
