package dev.embedloop.testing;

import dev.embedloop.encode.ModelDescriptor;
import dev.embedloop.encode.TextEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deterministic stand-in for the ONNX encoder: the same text always gives the same unit vector,
 * derived from a hash of the text. Counts what it encodes so tests can assert on re-encoding.
 */
public final class FakeEncoder implements TextEncoder {

    public static final ModelDescriptor MODEL =
            new ModelDescriptor("fake", "fake-1", 8, "mean", true, 16, "query: ", "", false);

    private final ModelDescriptor model;
    private final AtomicInteger encodedTexts = new AtomicInteger();

    public FakeEncoder() {
        this(MODEL);
    }

    public FakeEncoder(ModelDescriptor model) {
        this.model = model;
    }

    @Override
    public ModelDescriptor model() {
        return model;
    }

    @Override
    public List<float[]> encodeDocuments(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            encodedTexts.incrementAndGet();
            out.add(vector(model.documentPrefix() + text));
        }
        return out;
    }

    @Override
    public float[] encodeQuery(String text) {
        return vector(model.queryPrefix() + text);
    }

    public int encodedTexts() {
        return encodedTexts.get();
    }

    public float[] vector(String text) {
        Random random = new Random(java.util.Arrays.hashCode(text.getBytes(StandardCharsets.UTF_8)));
        float[] v = new float[model.dimension()];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    @Override
    public void close() {}
}
