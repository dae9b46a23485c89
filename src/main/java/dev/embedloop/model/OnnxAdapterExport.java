package dev.embedloop.model;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.embedloop.encode.DjlOnnxEncoder;
import dev.embedloop.encode.EncoderOptions;
import dev.embedloop.encode.ModelDescriptor;
import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.events.Json;
import dev.embedloop.model.OnnxProto.Dim;
import dev.embedloop.model.OnnxProto.Field;
import dev.embedloop.model.OnnxProto.Msg;
import dev.embedloop.model.OnnxProto.ValueInfo;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Bakes a {@link LinearAdapter} into a copy of its base model, so that the adapted encoder is an
 * ordinary model directory that any ONNX runtime (and {@link DjlOnnxEncoder}) serves as is.
 *
 * <p>For graphs that output token states ({@code pooling} {@code mean} or {@code cls}), the export
 * appends {@code MatMul(token_states, Wᵀ)} with {@code Wᵀ} as the float32 initialiser
 * {@value #WEIGHT_NAME}, and makes its result, {@value #OUTPUT_NAME} {@code [batch, tokens, d]},
 * the graph's only output. Pooling is linear, so {@code normalize(pool(W h)) = normalize(W pool(h))}:
 * the encoder's usual pooling and normalisation of the new output give exactly the adapter applied
 * to the base embedding. For graphs that already pool ({@code pooling: none}) the MatMul is applied
 * to the pooled {@code [batch, d]} output, followed by {@code LpNormalization(axis=-1, p=2)} when the
 * descriptor says the model normalises.
 *
 * <p>Everything else in the ModelProto (ir_version, opset imports, metadata, nodes, initialisers,
 * inputs, value infos) is copied byte for byte: only the graph's output list changes and one node,
 * one initialiser (and, for pooled graphs, one more node) are appended. The base file is read once
 * into memory and the result is streamed to disk, so a 90 MB model costs about one copy of itself.
 *
 * <p>The mode ({@link AdapterMode#QUERY_ONLY}: the exported model is for queries only, documents
 * keep the base model) does not change the graph; it is recorded in {@code model.json}.
 */
public final class OnnxAdapterExport {

    /** Name of the adapter's weight initialiser (Wᵀ, [d, d], float32). */
    public static final String WEIGHT_NAME = "embedloop_adapter_wt";
    /** Name of the exported graph's only output. */
    public static final String OUTPUT_NAME = "embedloop_token_states";
    /** Name of the appended MatMul node. */
    static final String MATMUL_NAME = "embedloop_adapter_matmul";
    static final String NORM_NAME = "embedloop_adapter_l2norm";

    /** model.json keys owned by {@link ModelDescriptor}; extra fields may not override them. */
    private static final Set<String> DESCRIPTOR_KEYS = Set.of("name", "version", "dimension", "pooling", "normalize",
            "max_tokens", "query_prefix", "document_prefix", "include_token_types");

    private OnnxAdapterExport() {}

    /**
     * Writes {@code targetDir} as a model directory: {@code model.onnx} (base graph + adapter),
     * {@code tokenizer.json} (copied) and {@code model.json} (the base descriptor with
     * {@code newVersion}, {@code adapter_mode}, {@code adapter_base_version} and the extra fields).
     * {@code model.json} is written last, so an interrupted export never loads.
     *
     * @param extraDescriptorFields merged into model.json (e.g. parent, training window, gate
     *     metrics); may not redefine the descriptor's own keys; may be null
     * @return the exported directory, loaded
     * @throws FileAlreadyExistsException when the target already holds a model file
     * @throws IllegalArgumentException when the adapter's dimension differs from the model's, or an
     *     extra field would redefine a descriptor key
     * @throws IOException when the base graph has no suitable output or cannot be read or written
     */
    public static ModelDirectory export(ModelDirectory base, LinearAdapter adapter, Path targetDir, String newVersion,
            Map<String, Object> extraDescriptorFields) throws IOException {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(targetDir, "targetDir");
        Objects.requireNonNull(newVersion, "newVersion");
        ModelDescriptor descriptor = base.descriptor();
        if (adapter.dim() != descriptor.dimension()) {
            throw new IllegalArgumentException("adapter has dimension " + adapter.dim() + " but " + base.root()
                    + " says dimension " + descriptor.dimension());
        }
        if (newVersion.isBlank() || newVersion.equals(descriptor.version())) {
            throw new IllegalArgumentException("the exported model needs a new version (base is "
                    + descriptor.version() + "), was '" + newVersion + "'");
        }
        Map<String, Object> json = descriptorJson(base, adapter, newVersion, extraDescriptorFields);

        Files.createDirectories(targetDir);
        for (String f : List.of(ModelDirectory.MODEL_FILE, ModelDirectory.TOKENIZER_FILE,
                ModelDirectory.DESCRIPTOR_FILE)) {
            if (Files.exists(targetDir.resolve(f))) {
                throw new FileAlreadyExistsException(targetDir.resolve(f).toString(), null,
                        "export target already holds a model");
            }
        }

        byte[] model = Files.readAllBytes(base.modelFile());
        Path modelTmp = targetDir.resolve(ModelDirectory.MODEL_FILE + ".tmp");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(modelTmp), 1 << 16)) {
            appendAdapter(model, adapter.weights(), adapter.dim(), descriptor.pooling(), descriptor.normalize(), out);
        }
        model = null; // let the base graph go before copying the rest
        Files.move(modelTmp, targetDir.resolve(ModelDirectory.MODEL_FILE), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);

        Path tokTmp = targetDir.resolve(ModelDirectory.TOKENIZER_FILE + ".tmp");
        Files.copy(base.tokenizerFile(), tokTmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tokTmp, targetDir.resolve(ModelDirectory.TOKENIZER_FILE), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);

        Path descTmp = targetDir.resolve(ModelDirectory.DESCRIPTOR_FILE + ".tmp");
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(descTmp.toFile(), json);
        ModelDirectory.readDescriptor(descTmp); // never publish a model.json that does not load
        Files.move(descTmp, targetDir.resolve(ModelDirectory.DESCRIPTOR_FILE), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        return ModelDirectory.load(targetDir);
    }

    /**
     * The smallest cosine, over {@code texts}, between the exported model's document encodings and
     * {@code adapter.apply} of the base model's: 1 (to float precision) when the export is faithful.
     * Loads both models with one worker each and closes them.
     */
    public static double verify(ModelDirectory base, LinearAdapter adapter, ModelDirectory exported,
            List<String> texts) throws IOException {
        Objects.requireNonNull(texts, "texts");
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("verify needs at least one text");
        }
        EncoderOptions options = EncoderOptions.defaults().withParallelism(1);
        List<float[]> expected;
        try (DjlOnnxEncoder enc = DjlOnnxEncoder.load(base, options)) {
            expected = adapter.applyAll(enc.encodeDocuments(texts));
        }
        List<float[]> actual;
        try (DjlOnnxEncoder enc = DjlOnnxEncoder.load(exported, options)) {
            actual = enc.encodeDocuments(texts);
        }
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < texts.size(); i++) {
            min = Math.min(min, cosine(expected.get(i), actual.get(i)));
        }
        return min;
    }

    static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.NEGATIVE_INFINITY;
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 || nb == 0) {
            return na == nb ? 1 : 0;
        }
        return dot / Math.sqrt(na * nb);
    }

    /** The graph outputs of an ONNX file, in order (for checks and tests). */
    static List<String> graphOutputNames(Path onnxFile) throws IOException {
        byte[] model = Files.readAllBytes(onnxFile);
        List<String> names = new ArrayList<>();
        for (Field top : OnnxProto.fields(model, 0, model.length)) {
            if (top.number() != OnnxProto.MODEL_GRAPH) {
                continue;
            }
            for (Field g : OnnxProto.fields(model, top)) {
                if (g.number() == OnnxProto.GRAPH_OUTPUT) {
                    names.add(OnnxProto.valueInfo(model, g).name());
                }
            }
        }
        return names;
    }

    private static Map<String, Object> descriptorJson(ModelDirectory base, LinearAdapter adapter, String newVersion,
            Map<String, Object> extra) {
        @SuppressWarnings("unchecked")
        Map<String, Object> json = new LinkedHashMap<>(Json.MAPPER.convertValue(base.descriptor(), Map.class));
        json.put("version", newVersion);
        json.put("adapter_mode", adapter.mode().name());
        json.put("adapter_base_version", base.descriptor().version());
        if (extra != null) {
            for (Map.Entry<String, Object> e : extra.entrySet()) {
                if (DESCRIPTOR_KEYS.contains(e.getKey())) {
                    throw new IllegalArgumentException("extra model.json field '" + e.getKey()
                            + "' would redefine the descriptor; pass the version as newVersion");
                }
                json.put(e.getKey(), e.getValue());
            }
        }
        return json;
    }

    /**
     * Writes to {@code out} the ModelProto in {@code model} with the adapter ({@code w}, d×d
     * row-major) appended to its graph. Top-level fields other than the graph are copied as they
     * are, in order; inside the graph every field but the outputs is copied as it is.
     */
    static void appendAdapter(byte[] model, float[] w, int d, String pooling, boolean normalize, OutputStream sink)
            throws IOException {
        List<Field> top = OnnxProto.fields(model, 0, model.length);
        Field graph = null;
        for (Field f : top) {
            if (f.number() == OnnxProto.MODEL_GRAPH) {
                if (graph != null) {
                    throw new IOException("ONNX model has more than one graph field");
                }
                graph = f;
            }
        }
        if (graph == null) {
            throw new IOException("ONNX model has no graph");
        }

        List<Field> graphFields = OnnxProto.fields(model, graph);
        List<ValueInfo> outputs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Field f : graphFields) {
            switch (f.number()) {
                case OnnxProto.GRAPH_OUTPUT -> {
                    ValueInfo vi = OnnxProto.valueInfo(model, f);
                    outputs.add(vi);
                    names.add(vi.name());
                }
                case OnnxProto.GRAPH_INPUT -> names.add(OnnxProto.valueInfo(model, f).name());
                case OnnxProto.GRAPH_NODE -> {
                    for (Field nf : OnnxProto.fields(model, f)) {
                        if (nf.number() == OnnxProto.NODE_OUTPUT || nf.number() == OnnxProto.NODE_NAME) {
                            names.add(OnnxProto.string(model, nf));
                        }
                    }
                }
                case OnnxProto.GRAPH_INITIALIZER -> {
                    for (Field tf : OnnxProto.fields(model, f)) {
                        if (tf.number() == OnnxProto.TENSOR_NAME) {
                            names.add(OnnxProto.string(model, tf));
                        }
                    }
                }
                default -> { }
            }
        }

        boolean pooled = pooling.equals("none");
        ValueInfo source = pickOutput(outputs, pooled ? 2 : 3, d);
        String weightName = unique(WEIGHT_NAME, names);
        String outputName = unique(OUTPUT_NAME, names);
        String matmulName = unique(MATMUL_NAME, names);

        List<byte[]> appended = new ArrayList<>();
        boolean l2 = pooled && normalize;
        String matmulOut = l2 ? unique(OUTPUT_NAME + "_unnormalized", names) : outputName;
        appended.add(OnnxProto.lengthDelimited(OnnxProto.GRAPH_NODE, new Msg()
                .string(OnnxProto.NODE_INPUT, source.name())
                .string(OnnxProto.NODE_INPUT, weightName)
                .string(OnnxProto.NODE_OUTPUT, matmulOut)
                .string(OnnxProto.NODE_NAME, matmulName)
                .string(OnnxProto.NODE_OP_TYPE, "MatMul")
                .toBytes()));
        if (l2) {
            appended.add(OnnxProto.lengthDelimited(OnnxProto.GRAPH_NODE, new Msg()
                    .string(OnnxProto.NODE_INPUT, matmulOut)
                    .string(OnnxProto.NODE_OUTPUT, outputName)
                    .string(OnnxProto.NODE_NAME, unique(NORM_NAME, names))
                    .string(OnnxProto.NODE_OP_TYPE, "LpNormalization")
                    .message(OnnxProto.NODE_ATTRIBUTE, intAttribute("axis", -1))
                    .message(OnnxProto.NODE_ATTRIBUTE, intAttribute("p", 2))
                    .toBytes()));
        }
        appended.add(OnnxProto.lengthDelimited(OnnxProto.GRAPH_INITIALIZER, new Msg()
                .int64(OnnxProto.TENSOR_DIMS, d)
                .int64(OnnxProto.TENSOR_DIMS, d)
                .int64(OnnxProto.TENSOR_DATA_TYPE, OnnxProto.DATA_TYPE_FLOAT)
                .string(OnnxProto.TENSOR_NAME, weightName)
                .bytes(OnnxProto.TENSOR_RAW_DATA, transposedLittleEndian(w, d))
                .toBytes()));
        appended.add(OnnxProto.lengthDelimited(OnnxProto.GRAPH_OUTPUT, outputInfo(outputName, source, d, pooled)));

        long graphLength = 0;
        for (Field f : graphFields) {
            if (f.number() != OnnxProto.GRAPH_OUTPUT) {
                graphLength += f.length();
            }
        }
        for (byte[] b : appended) {
            graphLength += b.length;
        }
        if (graphLength > Integer.MAX_VALUE - 64) {
            throw new IOException("exported graph would exceed the 2 GB protobuf limit");
        }

        CodedOutputStream out = CodedOutputStream.newInstance(sink, 1 << 16);
        for (Field f : top) {
            if (f != graph) {
                out.writeRawBytes(model, f.start(), f.length());
                continue;
            }
            out.writeTag(OnnxProto.MODEL_GRAPH, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag((int) graphLength);
            for (Field g : graphFields) {
                if (g.number() != OnnxProto.GRAPH_OUTPUT) {
                    out.writeRawBytes(model, g.start(), g.length());
                }
            }
            for (byte[] b : appended) {
                out.writeRawBytes(b);
            }
        }
        out.flush();
    }

    /**
     * The output to adapt: the first float output of the wanted rank whose last axis is d (as
     * {@code EmbeddingTranslator} picks at run time), else one whose last axis is symbolic, else
     * the only output when the graph declares no shapes.
     */
    private static ValueInfo pickOutput(List<ValueInfo> outputs, int rank, int d) throws IOException {
        for (ValueInfo vi : outputs) {
            if (vi.rank() == rank && vi.dims().get(rank - 1).value() != null
                    && vi.dims().get(rank - 1).value() == d) {
                return checkFloat(vi);
            }
        }
        for (ValueInfo vi : outputs) {
            if (vi.rank() == rank && vi.dims().get(rank - 1).value() == null) {
                return checkFloat(vi);
            }
        }
        if (outputs.size() == 1 && outputs.get(0).rank() == -1) {
            return checkFloat(outputs.get(0));
        }
        List<String> described = new ArrayList<>();
        for (ValueInfo vi : outputs) {
            described.add(vi.name() + describe(vi));
        }
        throw new IOException("no rank-" + rank + " graph output with last axis " + d + " to append the adapter to ("
                + (rank == 3 ? "token states" : "pooled embeddings") + "); outputs: " + described);
    }

    private static ValueInfo checkFloat(ValueInfo vi) throws IOException {
        if (vi.elemType() != OnnxProto.DATA_TYPE_FLOAT && vi.elemType() != 0) {
            throw new IOException("graph output " + vi.name() + " has element type " + vi.elemType()
                    + "; the adapter export supports float32 outputs only");
        }
        return vi;
    }

    private static String describe(ValueInfo vi) {
        if (vi.dims() == null) {
            return "[?]";
        }
        List<String> parts = new ArrayList<>();
        for (Dim dim : vi.dims()) {
            parts.add(dim.value() != null ? dim.value().toString() : dim.param() != null ? dim.param() : "?");
        }
        return parts.toString();
    }

    private static byte[] outputInfo(String name, ValueInfo source, int d, boolean pooled) {
        Msg shape = new Msg();
        String[] defaults = pooled ? new String[] {"batch_size"} : new String[] {"batch_size", "sequence_length"};
        for (int i = 0; i < defaults.length; i++) {
            if (source.dims() != null && source.dims().size() == defaults.length + 1) {
                shape.bytes(OnnxProto.SHAPE_DIM, source.dims().get(i).encoded());
            } else {
                shape.message(OnnxProto.SHAPE_DIM, new Msg().string(OnnxProto.DIM_PARAM, defaults[i]));
            }
        }
        shape.message(OnnxProto.SHAPE_DIM, new Msg().int64(OnnxProto.DIM_VALUE, d));
        Msg tensor = new Msg()
                .int64(OnnxProto.TENSOR_TYPE_ELEM, OnnxProto.DATA_TYPE_FLOAT)
                .message(OnnxProto.TENSOR_TYPE_SHAPE, shape);
        return new Msg()
                .string(OnnxProto.VALUE_INFO_NAME, name)
                .message(OnnxProto.VALUE_INFO_TYPE, new Msg().message(OnnxProto.TYPE_TENSOR, tensor))
                .toBytes();
    }

    private static Msg intAttribute(String name, long value) {
        return new Msg()
                .string(OnnxProto.ATTR_NAME, name)
                .int64(OnnxProto.ATTR_I, value)
                .int64(OnnxProto.ATTR_TYPE, OnnxProto.ATTR_TYPE_INT);
    }

    /** Wᵀ as little-endian float32, row-major: {@code MatMul(x, Wᵀ)[k] = Σ_i x[i] W[k, i] = (W x)[k]}. */
    static byte[] transposedLittleEndian(float[] w, int d) {
        ByteBuffer buf = ByteBuffer.allocate(d * d * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) {
                buf.putFloat(w[k * d + i]);
            }
        }
        return buf.array();
    }

    private static String unique(String wanted, Set<String> taken) {
        String name = wanted;
        for (int i = 2; taken.contains(name); i++) {
            name = wanted + "_" + i;
        }
        taken.add(name);
        return name;
    }
}
