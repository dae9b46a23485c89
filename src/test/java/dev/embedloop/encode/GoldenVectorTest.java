package dev.embedloop.encode;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.events.Json;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Holds the encoder to committed reference vectors for a few fixed texts, made by a baseline that
 * shares none of its code (plain ONNX Runtime and the HuggingFace tokenizer:
 * {@code bench.GoldenVectors}). A change of pooling, normalisation, truncation, special tokens or
 * prefixes moves these vectors far below the bound and cannot pass unnoticed.
 */
class GoldenVectorTest {

    static final double MIN_COSINE = 0.9999;

    @Test
    void shouldReproduceTheGoldenVectorsOfTheBundledModel() throws IOException {
        JsonNode golden = read("/golden/" + BundledModels.MINILM + ".json");
        List<String> texts = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        for (JsonNode item : golden.get("vectors")) {
            texts.add(item.get("text").asText());
            JsonNode v = item.get("vector");
            float[] f = new float[v.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) v.get(i).asDouble();
            }
            expected.add(f);
        }
        assertThat(texts).hasSizeGreaterThanOrEqualTo(5);
        // the references differ from each other, so matching them is a real check
        assertThat(DjlOnnxEncoderTest.cosine(expected.get(0), expected.get(1))).isLessThan(0.9);

        try (DjlOnnxEncoder encoder = DjlOnnxEncoder.load(BundledModels.standard().bundled(BundledModels.MINILM))) {
            List<float[]> actual = encoder.encodeDocuments(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(actual.get(i)).hasSize(expected.get(i).length);
                assertThat(DjlOnnxEncoderTest.cosine(actual.get(i), expected.get(i)))
                        .as("cosine to the golden vector of text %d", i)
                        .isGreaterThanOrEqualTo(MIN_COSINE);
            }
            // queries go through the same path (MiniLM has no query prefix)
            assertThat(DjlOnnxEncoderTest.cosine(encoder.encodeQuery(texts.get(2)), expected.get(2)))
                    .isGreaterThanOrEqualTo(MIN_COSINE);
        }
    }

    private static JsonNode read(String resource) throws IOException {
        try (InputStream in = GoldenVectorTest.class.getResourceAsStream(resource)) {
            assertThat(in).as("golden vectors %s (regenerate with bench.GoldenVectors)", resource).isNotNull();
            return Json.MAPPER.readTree(in);
        }
    }
}
