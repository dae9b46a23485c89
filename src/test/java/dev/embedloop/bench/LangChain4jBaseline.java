package dev.embedloop.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * langchain4j's in-process all-MiniLM-L6-v2 ({@code AllMiniLmL6V2EmbeddingModel.embedAll}) as it
 * ships: its own copy of the model, one ONNX Runtime session with default options, texts spread
 * over an executor of one thread per core. It does not truncate: it cuts a text's tokens into
 * partitions of up to 510 (never inside a word), encodes each with [CLS]/[SEP] and averages the
 * partition vectors weighted by their token counts.
 *
 * <p>{@link #tokensRun(List)} says how many tokens that is, by calling langchain4j's own
 * tokenizer and partitioning (through reflection, outside any timed region).
 */
final class LangChain4jBaseline implements AutoCloseable {

    private static final int PARTITION = 510;

    private final AllMiniLmL6V2EmbeddingModel model = new AllMiniLmL6V2EmbeddingModel();
    private final HuggingFaceTokenizer tokenizer;
    private final Method partition;

    LangChain4jBaseline() {
        try {
            Method modelMethod = AllMiniLmL6V2EmbeddingModel.class.getDeclaredMethod("model");
            modelMethod.setAccessible(true);
            Object bert = modelMethod.invoke(model);
            Field tok = bert.getClass().getDeclaredField("tokenizer");
            tok.setAccessible(true);
            tokenizer = (HuggingFaceTokenizer) tok.get(bert);
            partition = bert.getClass().getDeclaredMethod("partition", List.class, int.class);
            partition.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("langchain4j internals changed; cannot count its tokens: " + e, e);
        }
        embed(List.of("warm up", "a second warm-up text"));
    }

    List<float[]> embed(List<String> texts) {
        List<TextSegment> segments = new ArrayList<>(texts.size());
        for (String t : texts) {
            segments.add(TextSegment.from(t));
        }
        Response<List<Embedding>> response = model.embedAll(segments);
        List<float[]> out = new ArrayList<>(texts.size());
        for (Embedding e : response.content()) {
            out.add(e.vector());
        }
        return out;
    }

    /** Tokens langchain4j runs through the model for {@code text}: each partition plus [CLS] and [SEP]. */
    int tokensRun(String text) {
        List<String> tokens = tokenizer.tokenize(text); // with [CLS] ... [SEP]
        try {
            @SuppressWarnings("unchecked")
            List<List<String>> parts = (List<List<String>>) partition.invoke(null, tokens, PARTITION);
            int n = 0;
            for (List<String> p : parts) {
                n += p.size() + 2;
            }
            return n;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    long tokensRun(List<String> texts) {
        long n = 0;
        for (String t : texts) {
            n += tokensRun(t);
        }
        return n;
    }

    @Override
    public void close() {
        // the model is a static singleton inside langchain4j; nothing to free
    }
}
