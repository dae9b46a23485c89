package dev.embedloop.encode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Feeds tokenized texts to a sentence-embedding graph and pools its output, for any batch size.
 *
 * <p>{@code batchProcessInput} pads the batch to its longest text itself and
 * {@code batchProcessOutput} pools over each text's real tokens in plain Java, because DJL's
 * ONNX Runtime NDArrays support almost no operators. Single predictions go through the same
 * code as a batch of one (DJL's {@code Predictor.predict} calls {@code batchPredict}); the
 * batchifier returned by {@link #getBatchifier()} is never used, it only has to be non-null for
 * DJL to call the batch methods.
 */
final class EmbeddingTranslator implements Translator<TokenizedText, float[]> {

    private static final String LENGTHS = "embedloop.lengths";
    private static final long PAD_ID = 0;

    private final ModelDescriptor descriptor;

    EmbeddingTranslator(ModelDescriptor descriptor) {
        this.descriptor = descriptor;
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, TokenizedText input) {
        return batchProcessInput(ctx, List.of(input));
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        return batchProcessOutput(ctx, list).get(0);
    }

    @Override
    public NDList batchProcessInput(TranslatorContext ctx, List<TokenizedText> inputs) {
        int batch = inputs.size();
        int longest = 0;
        int[] lengths = new int[batch];
        for (int i = 0; i < batch; i++) {
            lengths[i] = inputs.get(i).length();
            longest = Math.max(longest, lengths[i]);
        }
        long[] ids = new long[batch * longest];
        long[] mask = new long[batch * longest];
        long[] types = new long[batch * longest];
        for (int i = 0; i < batch; i++) {
            TokenizedText t = inputs.get(i);
            int row = i * longest;
            System.arraycopy(t.ids(), 0, ids, row, lengths[i]);
            System.arraycopy(t.typeIds(), 0, types, row, lengths[i]);
            for (int j = 0; j < lengths[i]; j++) {
                mask[row + j] = 1;
            }
            if (PAD_ID != 0) {
                for (int j = lengths[i]; j < longest; j++) {
                    ids[row + j] = PAD_ID;
                }
            }
        }
        ctx.setAttachment(LENGTHS, lengths);
        NDManager manager = ctx.getNDManager();
        Shape shape = new Shape(batch, longest);
        NDArray inputIds = manager.create(ids, shape);
        inputIds.setName("input_ids");
        NDArray attention = manager.create(mask, shape);
        attention.setName("attention_mask");
        NDList list = new NDList(inputIds, attention);
        if (descriptor.includeTokenTypes()) {
            NDArray tokenTypes = manager.create(types, shape);
            tokenTypes.setName("token_type_ids");
            list.add(tokenTypes);
        }
        return list;
    }

    @Override
    public List<float[]> batchProcessOutput(TranslatorContext ctx, NDList outputs) {
        int[] lengths = (int[]) ctx.getAttachment(LENGTHS);
        int dim = descriptor.dimension();
        boolean pooled = descriptor.pooling().equals("none");
        NDArray out = pick(outputs, pooled ? 2 : 3, dim);
        float[] data = out.toFloatArray();
        int batch = lengths.length;
        List<float[]> vectors = new ArrayList<>(batch);
        if (pooled) {
            for (int i = 0; i < batch; i++) {
                float[] v = new float[dim];
                System.arraycopy(data, i * dim, v, 0, dim);
                vectors.add(finish(v));
            }
            return vectors;
        }
        int tokens = (int) out.getShape().get(1);
        boolean cls = descriptor.pooling().equals("cls");
        for (int i = 0; i < batch; i++) {
            float[] v = new float[dim];
            int base = i * tokens * dim;
            int used = cls ? 1 : lengths[i];
            for (int t = 0; t < used; t++) {
                int off = base + t * dim;
                for (int d = 0; d < dim; d++) {
                    v[d] += data[off + d];
                }
            }
            if (used > 1) {
                float inv = 1f / used;
                for (int d = 0; d < dim; d++) {
                    v[d] *= inv;
                }
            }
            vectors.add(finish(v));
        }
        return vectors;
    }

    private float[] finish(float[] v) {
        if (descriptor.normalize()) {
            double sum = 0;
            for (float x : v) {
                sum += (double) x * x;
            }
            float inv = (float) (1 / Math.max(Math.sqrt(sum), 1e-12));
            for (int d = 0; d < v.length; d++) {
                v[d] *= inv;
            }
        }
        return v;
    }

    /**
     * The graph output to pool: the first of the expected rank whose last axis is the model's
     * dimension. (The fp32 MiniLM graph also returns a BERT pooler output, [batch, 384], which
     * is not the sentence embedding.)
     */
    private static NDArray pick(NDList outputs, int rank, int dim) {
        for (NDArray a : outputs) {
            Shape s = a.getShape();
            if (s.dimension() == rank && s.get(rank - 1) == dim) {
                return a;
            }
        }
        List<String> shapes = new ArrayList<>();
        for (NDArray a : outputs) {
            shapes.add(a.getName() + a.getShape());
        }
        throw new IllegalStateException("no rank-" + rank + " output of the graph has the dimension model.json says ("
                + dim + "); outputs: " + shapes);
    }
}
