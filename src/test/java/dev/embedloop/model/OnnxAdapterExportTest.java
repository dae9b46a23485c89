package dev.embedloop.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.DjlOnnxEncoder;
import dev.embedloop.encode.EncoderOptions;
import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.events.Json;
import dev.embedloop.model.OnnxProto.Field;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class OnnxAdapterExportTest {

    private static final List<String> TEXTS = List.of(
            "hi",
            "Rust borrow checker",
            "How do I rotate the signing keys of a Kubernetes service account without downtime?",
            "The quick brown fox jumps over the lazy dog.",
            "Qdrant stores vectors in segments; each segment has its own HNSW graph and payload index, "
                    + "and the optimizer merges small segments in the background while queries keep running.",
            "naïve café — ünïcödé text",
            "SELECT * FROM users WHERE id = 42;",
            "a",
            "Mean pooling is linear, so the adapter can be applied to every token before pooling and the "
                    + "result equals the adapter applied to the pooled embedding, up to float rounding. "
                    + "This sentence is long to give the model a few dozen tokens to average over.",
            "error: could not find `Cargo.toml` in `/work` or any parent directory");

    public static LinearAdapter noisy(int dim, long seed, double scale, AdapterMode mode) {
        Random rnd = new Random(seed);
        float[] w = new float[dim * dim];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (scale * rnd.nextGaussian());
        }
        for (int i = 0; i < dim; i++) {
            w[i * dim + i] += 1f;
        }
        return LinearAdapter.of(dim, w, mode, true);
    }

    @Test
    void shouldServeAdapterInsideGraphWithInt8Model(@TempDir Path tmp) throws IOException {
        ModelDirectory base = BundledModels.resolveModel(BundledModels.MINILM_Q);
        LinearAdapter adapter = noisy(base.descriptor().dimension(), 7, 0.1, AdapterMode.SYMMETRIC);

        ModelDirectory exported = OnnxAdapterExport.export(base, adapter, tmp.resolve("out"), "minilm-q-a1",
                Map.of("parent", base.descriptor().version(), "gate", Map.of("ndcg_at_10", 0.42),
                        "training_window", List.of("2024-01-01", "2024-02-01")));

        assertThat(OnnxAdapterExport.graphOutputNames(exported.modelFile()))
                .containsExactly(OnnxAdapterExport.OUTPUT_NAME);
        double min = OnnxAdapterExport.verify(base, adapter, exported, TEXTS);
        System.out.println("int8 export: min cosine vs Java adapter = " + min);
        assertThat(min).isGreaterThanOrEqualTo(0.9999);

        assertThat(exported.descriptor().version()).isEqualTo("minilm-q-a1");
        assertThat(exported.descriptor().dimension()).isEqualTo(base.descriptor().dimension());
        assertThat(exported.descriptor().pooling()).isEqualTo(base.descriptor().pooling());
        JsonNode json = Json.MAPPER.readTree(exported.root().resolve(ModelDirectory.DESCRIPTOR_FILE).toFile());
        assertThat(json.get("parent").asText()).isEqualTo(base.descriptor().version());
        assertThat(json.get("gate").get("ndcg_at_10").asDouble()).isEqualTo(0.42);
        assertThat(json.get("training_window").size()).isEqualTo(2);
        assertThat(json.get("adapter_mode").asText()).isEqualTo("SYMMETRIC");
        assertThat(json.get("adapter_base_version").asText()).isEqualTo(base.descriptor().version());
        assertThat(Files.mismatch(base.tokenizerFile(), exported.tokenizerFile())).isEqualTo(-1L);
        try (var files = Files.list(exported.root())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("model.onnx", "tokenizer.json", "model.json");
        }
    }

    @Test
    void shouldRoundTripIdentityToBaseEncodings(@TempDir Path tmp) throws IOException {
        ModelDirectory base = BundledModels.resolveModel(BundledModels.MINILM_Q);
        ModelDirectory exported = OnnxAdapterExport.export(base,
                LinearAdapter.identity(base.descriptor().dimension()), tmp.resolve("id"), "minilm-q-id", null);
        EncoderOptions options = EncoderOptions.defaults().withParallelism(1);
        List<float[]> before;
        List<float[]> after;
        try (DjlOnnxEncoder enc = DjlOnnxEncoder.load(base, options)) {
            before = enc.encodeDocuments(TEXTS);
        }
        try (DjlOnnxEncoder enc = DjlOnnxEncoder.load(exported, options)) {
            after = enc.encodeDocuments(TEXTS);
        }
        double min = 1;
        float maxAbs = 0;
        for (int i = 0; i < TEXTS.size(); i++) {
            min = Math.min(min, OnnxAdapterExport.cosine(before.get(i), after.get(i)));
            for (int k = 0; k < before.get(i).length; k++) {
                maxAbs = Math.max(maxAbs, Math.abs(before.get(i)[k] - after.get(i)[k]));
            }
        }
        System.out.println("identity export: min cosine vs base = " + min + ", max |diff| = " + maxAbs);
        assertThat(min).isGreaterThanOrEqualTo(0.99999);
        assertThat(maxAbs).isLessThan(1e-4f);
    }

    @Test
    void shouldRecordQueryOnlyModeAndRejectBadRequests(@TempDir Path tmp) throws IOException {
        ModelDirectory base = BundledModels.resolveModel(BundledModels.MINILM_Q);
        int d = base.descriptor().dimension();
        LinearAdapter queryOnly = noisy(d, 3, 0.05, AdapterMode.QUERY_ONLY);
        ModelDirectory exported = OnnxAdapterExport.export(base, queryOnly, tmp.resolve("q"), "minilm-q-q1",
                Map.of("mode", "QUERY_ONLY"));
        JsonNode json = Json.MAPPER.readTree(exported.root().resolve(ModelDirectory.DESCRIPTOR_FILE).toFile());
        assertThat(json.get("adapter_mode").asText()).isEqualTo("QUERY_ONLY");
        assertThat(json.get("mode").asText()).isEqualTo("QUERY_ONLY");

        assertThatThrownBy(() -> OnnxAdapterExport.export(base, queryOnly, tmp.resolve("q"), "minilm-q-q2", null))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> OnnxAdapterExport.export(base, queryOnly, tmp.resolve("x"), "v2",
                Map.of("dimension", 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimension");
        assertThatThrownBy(() -> OnnxAdapterExport.export(base, LinearAdapter.identity(d + 1), tmp.resolve("y"), "v3",
                null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimension");
        assertThatThrownBy(() -> OnnxAdapterExport.export(base, queryOnly, tmp.resolve("z"),
                base.descriptor().version(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("new version");
    }

    /** Rewriting keeps every other top-level field and every graph field but the outputs byte for byte. */
    @Test
    void shouldCopyEverythingButGraphOutputs() throws IOException {
        ModelDirectory base = BundledModels.resolveModel(BundledModels.MINILM_Q);
        byte[] model = Files.readAllBytes(base.modelFile());
        int d = base.descriptor().dimension();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OnnxAdapterExport.appendAdapter(model, LinearAdapter.identity(d).weights(), d, "mean", true, out);
        byte[] rewritten = out.toByteArray();

        List<byte[]> topBefore = new ArrayList<>();
        List<byte[]> graphBefore = new ArrayList<>();
        List<byte[]> topAfter = new ArrayList<>();
        List<byte[]> graphAfter = new ArrayList<>();
        keptFields(model, topBefore, graphBefore);
        keptFields(rewritten, topAfter, graphAfter);
        assertThat(topAfter).hasSameSizeAs(topBefore);
        for (int i = 0; i < topBefore.size(); i++) {
            assertThat(topAfter.get(i)).isEqualTo(topBefore.get(i));
        }
        assertThat(graphAfter.size()).isEqualTo(graphBefore.size() + 2); // + MatMul node, + Wᵀ initialiser
        for (int i = 0; i < graphBefore.size(); i++) {
            assertThat(graphAfter.get(i)).isEqualTo(graphBefore.get(i));
        }
        // the output ValueInfo reuses the symbolic dims of the token-state output
        ProtoOutput o = onlyOutput(rewritten);
        assertThat(o.info.name()).isEqualTo(OnnxAdapterExport.OUTPUT_NAME);
        assertThat(o.info.elemType()).isEqualTo(1);
        assertThat(o.info.rank()).isEqualTo(3);
        assertThat(o.info.dims().get(2).value()).isEqualTo((long) d);
    }

    /** Pooled graphs ([batch, d] output) get MatMul + LpNormalization; checked structurally on a tiny graph. */
    @Test
    void shouldAppendL2NormalisationToPooledGraph() throws IOException {
        int d = 4;
        OnnxProto.Msg shape = new OnnxProto.Msg()
                .message(OnnxProto.SHAPE_DIM, new OnnxProto.Msg().string(OnnxProto.DIM_PARAM, "n"))
                .message(OnnxProto.SHAPE_DIM, new OnnxProto.Msg().int64(OnnxProto.DIM_VALUE, d));
        OnnxProto.Msg info = new OnnxProto.Msg().string(OnnxProto.VALUE_INFO_NAME, "pooled")
                .message(OnnxProto.VALUE_INFO_TYPE, new OnnxProto.Msg().message(OnnxProto.TYPE_TENSOR,
                        new OnnxProto.Msg().int64(OnnxProto.TENSOR_TYPE_ELEM, 1)
                                .message(OnnxProto.TENSOR_TYPE_SHAPE, shape)));
        OnnxProto.Msg graph = new OnnxProto.Msg()
                .message(OnnxProto.GRAPH_NODE, new OnnxProto.Msg().string(OnnxProto.NODE_INPUT, "x")
                        .string(OnnxProto.NODE_OUTPUT, "pooled").string(OnnxProto.NODE_OP_TYPE, "Identity"))
                .string(2, "g")
                .message(OnnxProto.GRAPH_INPUT, info)
                .message(OnnxProto.GRAPH_OUTPUT, info);
        byte[] model = new OnnxProto.Msg().int64(1, 8).message(OnnxProto.MODEL_GRAPH, graph)
                .message(8, new OnnxProto.Msg().int64(2, 17)).toBytes();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OnnxAdapterExport.appendAdapter(model, LinearAdapter.identity(d).weights(), d, "none", true, out);
        byte[] rewritten = out.toByteArray();

        List<String> ops = new ArrayList<>();
        for (Field top : OnnxProto.fields(rewritten, 0, rewritten.length)) {
            if (top.number() != OnnxProto.MODEL_GRAPH) {
                continue;
            }
            for (Field g : OnnxProto.fields(rewritten, top)) {
                if (g.number() == OnnxProto.GRAPH_NODE) {
                    for (Field nf : OnnxProto.fields(rewritten, g)) {
                        if (nf.number() == OnnxProto.NODE_OP_TYPE) {
                            ops.add(OnnxProto.string(rewritten, nf));
                        }
                    }
                }
            }
        }
        assertThat(ops).containsExactly("Identity", "MatMul", "LpNormalization");
        ProtoOutput o = onlyOutput(rewritten);
        assertThat(o.info.rank()).isEqualTo(2);
        assertThat(o.info.dims().get(0).param()).isEqualTo("n");
    }

    @Test
    @Tag("slow")
    void shouldServeAdapterInsideGraphWithFp32Model(@TempDir Path tmp) throws IOException {
        // slower: the 90 MB fp32 graph, which also has a second (pooler) output that must be dropped
        ModelDirectory base = BundledModels.resolveModel(BundledModels.MINILM);
        LinearAdapter adapter = noisy(base.descriptor().dimension(), 11, 0.1, AdapterMode.SYMMETRIC);
        ModelDirectory exported = OnnxAdapterExport.export(base, adapter, tmp.resolve("fp32"), "minilm-a1", Map.of());
        assertThat(OnnxAdapterExport.graphOutputNames(exported.modelFile()))
                .containsExactly(OnnxAdapterExport.OUTPUT_NAME);
        double min = OnnxAdapterExport.verify(base, adapter, exported, TEXTS);
        System.out.println("fp32 export: min cosine vs Java adapter = " + min);
        assertThat(min).isGreaterThanOrEqualTo(0.9999);
    }

    private record ProtoOutput(OnnxProto.ValueInfo info) {}

    private static ProtoOutput onlyOutput(byte[] model) throws IOException {
        List<OnnxProto.ValueInfo> outs = new ArrayList<>();
        for (Field top : OnnxProto.fields(model, 0, model.length)) {
            if (top.number() == OnnxProto.MODEL_GRAPH) {
                for (Field g : OnnxProto.fields(model, top)) {
                    if (g.number() == OnnxProto.GRAPH_OUTPUT) {
                        outs.add(OnnxProto.valueInfo(model, g));
                    }
                }
            }
        }
        assertThat(outs).hasSize(1);
        return new ProtoOutput(outs.get(0));
    }

    /** Top-level non-graph fields, then graph fields except outputs, as raw bytes. */
    private static void keptFields(byte[] model, List<byte[]> topSink, List<byte[]> sink) throws IOException {
        for (Field top : OnnxProto.fields(model, 0, model.length)) {
            if (top.number() != OnnxProto.MODEL_GRAPH) {
                topSink.add(java.util.Arrays.copyOfRange(model, top.start(), top.end()));
                continue;
            }
            for (Field g : OnnxProto.fields(model, top)) {
                if (g.number() != OnnxProto.GRAPH_OUTPUT) {
                    sink.add(java.util.Arrays.copyOfRange(model, g.start(), g.end()));
                }
            }
        }
    }
}
