package dev.embedloop.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.embedloop.chunk.Tokenization.Span;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the bundled models through DJL and ONNX Runtime. The quantised model serves where only
 * speed matters; comparisons that need bit-for-bit stable numerics use fp32, because the int8
 * graph quantises activations with a scale computed over the whole batch, so padding and batch
 * mates change its results slightly.
 */
class DjlOnnxEncoderTest {

    static ModelDirectory fp32Model;
    static ModelDirectory qModel;
    static DjlOnnxEncoder fp32;
    static DjlOnnxEncoder q;

    /** Short and long texts, one of them beyond the 256-token window. */
    static final List<String> TEXTS = List.of(
            "A cat sits on the mat.",
            "Supersonic flow over a swept wing.",
            "heat transfer",
            HfTokenizationTest.prose(400, 1),
            "What are the structural and aeroelastic problems associated with flight of high speed aircraft?",
            HfTokenizationTest.prose(2_500, 2), // > 256 tokens: truncated
            "x",
            "",
            HfTokenizationTest.prose(900, 3),
            "The boundary layer on a flat plate at zero incidence becomes turbulent at high Reynolds numbers.",
            HfTokenizationTest.prose(150, 4),
            "Quarterly revenue grew by ten percent.",
            HfTokenizationTest.prose(1_300, 5));

    @BeforeAll
    static void load() throws IOException {
        BundledModels models = BundledModels.standard();
        fp32Model = models.bundled(BundledModels.MINILM);
        qModel = models.bundled(BundledModels.MINILM_Q);
        fp32 = DjlOnnxEncoder.load(fp32Model);
        q = DjlOnnxEncoder.load(qModel);
    }

    @AfterAll
    static void close() {
        if (fp32 != null) {
            fp32.close();
        }
        if (q != null) {
            q.close();
        }
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static double norm(float[] a) {
        return Math.sqrt(dot(a, a));
    }

    static double dot(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
        }
        return dot;
    }

    /** Each text on its own, one call after another. */
    static List<float[]> oneByOne(TextEncoder encoder, List<String> texts) {
        List<float[]> out = new ArrayList<>();
        for (String t : texts) {
            out.add(encoder.encodeDocuments(List.of(t)).get(0));
        }
        return out;
    }

    @Test
    void defaultsAreTwoPredictorsOneTextPerCall() {
        assertThat(q.options()).isEqualTo(EncoderOptions.defaults());
        assertThat(EncoderOptions.defaults()).isEqualTo(new EncoderOptions(2, 1, 0, true, 1, 1, "ALL_OPT"));
        assertThat(q.model()).isEqualTo(qModel.descriptor());
    }

    @Test
    void vectorsHaveTheModelsDimensionAndUnitNorm() {
        List<float[]> vectors = q.encodeDocuments(TEXTS);
        assertThat(vectors).hasSize(TEXTS.size());
        for (float[] v : vectors) {
            assertThat(v).hasSize(384);
            assertThat(norm(v)).isCloseTo(1.0, within(1e-5));
        }
        assertThat(norm(q.encodeQuery("lift of a wing"))).isCloseTo(1.0, within(1e-5));
        assertThat(q.encodeDocuments(List.of())).isEmpty();
    }

    @Test
    void aParaphraseIsCloserThanAnUnrelatedText() {
        List<float[]> v = fp32.encodeDocuments(List.of(
                "A man is playing a guitar on stage.",
                "Someone performs music with a guitar in front of an audience.",
                "The stock market fell sharply on Tuesday."));
        double paraphrase = dot(v.get(0), v.get(1));
        double unrelated = dot(v.get(0), v.get(2));
        assertThat(paraphrase).isGreaterThan(0.5).isGreaterThan(unrelated + 0.4);

        float[] query = fp32.encodeQuery("guitar concert");
        assertThat(dot(query, v.get(0))).isGreaterThan(dot(query, v.get(2)));
    }

    @Test
    void batchedEncodingEqualsOneByOne() throws IOException {
        List<float[]> single = oneByOne(fp32, TEXTS);
        List<EncoderOptions> batched = List.of(
                EncoderOptions.defaults().withBatching(4, true),
                EncoderOptions.defaults().withBatching(16, true),
                EncoderOptions.defaults().withBatching(16, false).withTokenBudget(600));
        for (EncoderOptions options : batched) {
            try (DjlOnnxEncoder encoder = DjlOnnxEncoder.load(fp32Model, options)) {
                List<float[]> vectors = encoder.encodeDocuments(TEXTS);
                for (int i = 0; i < TEXTS.size(); i++) {
                    assertThat(cosine(vectors.get(i), single.get(i)))
                            .as("text %d with %s", i, options).isGreaterThanOrEqualTo(0.9999);
                }
            }
        }
    }

    @Test
    void oneTextTasksAreHandedOutLongestFirstAndTiesKeepInputOrder() {
        assertThat(DjlOnnxEncoder.longestFirst(List.of("bb", "a", "dddd", "cc", "eee")))
                .containsExactly(2, 4, 0, 3, 1);
        assertThat(DjlOnnxEncoder.longestFirst(List.of("only"))).containsExactly(0);
    }

    @Test
    void parallelEncodingEqualsSequential() throws Exception {
        List<float[]> sequential = oneByOne(fp32, TEXTS);
        assertThat(fp32.encodeDocuments(TEXTS)).containsExactlyElementsOf(sequential);

        // and from several callers at once, each asking in its own order
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            List<Callable<List<float[]>>> calls = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                calls.add(() -> fp32.encodeDocuments(TEXTS));
            }
            for (Future<List<float[]>> f : callers.invokeAll(calls)) {
                assertThat(f.get()).containsExactlyElementsOf(sequential);
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void theQueryPrefixIsApplied() throws IOException {
        ModelDescriptor d = qModel.descriptor();
        ModelDescriptor prefixed = new ModelDescriptor(d.name(), d.version(), d.dimension(), d.pooling(),
                d.normalize(), d.maxTokens(), "query: ", "", d.includeTokenTypes());
        String query = "pressure distribution on a swept wing";
        try (DjlOnnxEncoder withPrefix = DjlOnnxEncoder.load(qModel.withDescriptor(prefixed))) {
            float[] v = withPrefix.encodeQuery(query);
            assertThat(cosine(v, q.encodeQuery(query))).isLessThan(0.999);
            assertThat(cosine(v, q.encodeDocuments(List.of("query: " + query)).get(0))).isGreaterThan(0.99999);
            // documents get the (empty) document prefix, not the query prefix
            assertThat(withPrefix.encodeDocuments(List.of(query)).get(0)).isEqualTo(q.encodeQuery(query));
        }
    }

    @Test
    void longTextsAreTruncatedToTheModelWindow() throws IOException {
        String text = HfTokenizationTest.prose(10_000, 9);
        assertThat(fp32.countTokens(text)).isEqualTo(256);
        try (HfTokenization tokenization = HfTokenization.forModel(fp32Model)) {
            List<Span> spans = tokenization.spans(text);
            assertThat(spans.size()).isGreaterThan(1500);
            String first254 = text.substring(0, spans.get(253).end());
            List<float[]> v = fp32.encodeDocuments(List.of(text, first254));
            assertThat(cosine(v.get(0), v.get(1))).isGreaterThan(0.999);
        }
    }

    @Test
    void theQuantizedModelAgreesWithFp32() {
        List<float[]> a = fp32.encodeDocuments(TEXTS);
        List<float[]> b = q.encodeDocuments(TEXTS);
        double sum = 0;
        for (int i = 0; i < TEXTS.size(); i++) {
            sum += cosine(a.get(i), b.get(i));
        }
        assertThat(sum / TEXTS.size()).isGreaterThan(0.9);
    }

    @Test
    void aMissingModelDirectoryIsNamed(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("model");
        assertThatThrownBy(() -> DjlOnnxEncoder.load(ModelDirectory.load(dir)))
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("does not exist");
        Files.createDirectories(dir);
        Files.copy(qModel.root().resolve("model.json"), dir.resolve("model.json"));
        Files.copy(qModel.tokenizerFile(), dir.resolve("tokenizer.json"));
        assertThatThrownBy(() -> DjlOnnxEncoder.load(ModelDirectory.load(dir)))
                .hasMessageContaining("has no model.onnx");
    }

    @Test
    void aBrokenModelFileFailsWithItsName(@TempDir Path tmp) throws IOException {
        Files.copy(qModel.root().resolve("model.json"), tmp.resolve("model.json"));
        Files.copy(qModel.tokenizerFile(), tmp.resolve("tokenizer.json"));
        Files.writeString(tmp.resolve("model.onnx"), "not an onnx graph");
        assertThatThrownBy(() -> DjlOnnxEncoder.load(ModelDirectory.load(tmp)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("model.onnx");
    }

    @Test
    void aDescriptorThatDisagreesWithTheGraphIsRejectedAtStartUp() {
        ModelDescriptor d = qModel.descriptor();
        ModelDescriptor wrongDimension = new ModelDescriptor(d.name(), d.version(), 768, d.pooling(),
                d.normalize(), d.maxTokens(), "", "", d.includeTokenTypes());
        assertThatThrownBy(() -> DjlOnnxEncoder.load(qModel.withDescriptor(wrongDimension)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("dimension model.json says (768)")
                .hasMessageContaining("384");
        ModelDescriptor noTypes = new ModelDescriptor(d.name(), d.version(), d.dimension(), d.pooling(),
                d.normalize(), d.maxTokens(), "", "", false);
        assertThatThrownBy(() -> DjlOnnxEncoder.load(qModel.withDescriptor(noTypes)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("include_token_types=false");
    }

    @Test
    void aClosedEncoderRefusesWork() throws IOException {
        DjlOnnxEncoder encoder = DjlOnnxEncoder.load(qModel, EncoderOptions.defaults().withParallelism(1));
        encoder.close();
        encoder.close(); // idempotent
        assertThatThrownBy(() -> encoder.encodeQuery("x"))
                .isInstanceOf(EncoderException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void closingWhileEncodingFailsTheCallerInsteadOfHangingIt() throws Exception {
        DjlOnnxEncoder encoder = DjlOnnxEncoder.load(qModel, EncoderOptions.defaults().withParallelism(1));
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            // far more work than can finish before close() below: whether close() lands before,
            // during or after the tasks are queued, the caller must get an EncoderException
            Future<List<float[]>> call = caller.submit(() -> encoder.encodeDocuments(
                    Collections.nCopies(5_000, "a text that takes a few milliseconds to encode")));
            encoder.close();
            assertThatThrownBy(() -> call.get(60, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(EncoderException.class);
        } finally {
            caller.shutdownNow();
        }
    }

    @Test
    void theBuilderRequiresAModel() {
        assertThatThrownBy(() -> DjlOnnxEncoder.builder().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("setModel");
    }
}
