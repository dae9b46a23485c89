package dev.embedloop.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The baseline: the same {@code model.onnx} and {@code tokenizer.json} run with nothing but ONNX
 * Runtime's Java API and DJL's HuggingFace tokenizer, doing exactly the encoder's work (special
 * tokens, truncation to {@code maxTokens}, mean pooling over the attention mask, L2
 * normalisation) so that only the plumbing differs.
 *
 * <p>Inputs go into direct, native-order buffers owned by each worker, which ONNX Runtime reads
 * in place (no copy); only the hidden-state output is requested. Batches (when {@code batch > 1})
 * are cut from the texts sorted by token length and handed out longest first, so the two workers
 * finish together.
 */
final class PlainOrtEncoder implements AutoCloseable {

    /** How the two cores are used. */
    enum Layout {
        /** One session, one caller, two intra-op threads. */
        ONE_SESSION_2_THREADS("1 session × 2 intra-op threads", 1, 1, 2),
        /** Two sessions, one caller thread each, one intra-op thread each. */
        TWO_SESSIONS_1_THREAD("2 sessions × 1 intra-op thread", 2, 2, 1),
        /** One session run concurrently by two caller threads, one intra-op thread. */
        SHARED_SESSION_2_CALLERS("1 shared session × 2 callers × 1 intra-op thread", 1, 2, 1);

        final String label;
        final int sessions;
        final int callers;
        final int intraOp;

        Layout(String label, int sessions, int callers, int intraOp) {
            this.label = label;
            this.sessions = sessions;
            this.callers = callers;
            this.intraOp = intraOp;
        }
    }

    /** One configuration of the baseline. */
    record Config(Layout layout, int batch, boolean sortByLength) {
        String label() {
            return "plain ORT, " + layout.label + (batch == 1 ? ", one text per call"
                    : ", " + (sortByLength ? "length-sorted" : "unsorted") + " batches of " + batch);
        }
    }

    private final Config config;
    private final int maxTokens;
    private final OrtEnvironment env;
    private final List<OrtSession> sessions = new ArrayList<>();
    private final HuggingFaceTokenizer tokenizer;
    private final String hiddenOutput;
    private final boolean tokenTypes;
    private final ExecutorService workers;
    private final AtomicLong tokensRun = new AtomicLong();
    private final AtomicLong paddedTokensRun = new AtomicLong();

    PlainOrtEncoder(Path modelFile, Path tokenizerFile, int maxTokens, Config config) throws IOException, OrtException {
        this.config = config;
        this.maxTokens = maxTokens;
        this.env = environment();
        try {
            for (int i = 0; i < config.layout().sessions; i++) {
                OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
                opts.setIntraOpNumThreads(config.layout().intraOp);
                opts.setInterOpNumThreads(1);
                opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                sessions.add(env.createSession(modelFile.toString(), opts));
            }
            OrtSession first = sessions.get(0);
            this.tokenTypes = first.getInputNames().contains("token_type_ids");
            this.hiddenOutput = hiddenStateOutput(first);
            this.tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerFile)
                    .optAddSpecialTokens(true)
                    .optTruncation(true)
                    .optMaxLength(maxTokens)
                    .optPadding(false)
                    .optWithOverflowingTokens(false)
                    .build();
        } catch (OrtException | IOException | RuntimeException e) {
            closeSessions();
            throw e;
        }
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(config.layout().callers, r -> {
            Thread t = new Thread(r, "plain-ort-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        encode(List.of("warm up", "a second warm-up text")); // first runs allocate
        tokensRun.set(0);
        paddedTokensRun.set(0);
    }

    /**
     * The process's ONNX Runtime environment. DJL's engine insists on creating it itself (with its
     * threading options) and fails if anyone else did first, so DJL goes first; sessions here use
     * their own thread pools regardless.
     */
    static OrtEnvironment environment() {
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
        ai.djl.engine.Engine.getEngine("OnnxRuntime");
        return OrtEnvironment.getEnvironment();
    }

    Config config() {
        return config;
    }

    /** Real tokens (special tokens included) run since construction. */
    long tokensRun() {
        return tokensRun.get();
    }

    /** Tokens run including padding. */
    long paddedTokensRun() {
        return paddedTokensRun.get();
    }

    /** Vectors for {@code texts}, in order. */
    List<float[]> encode(List<String> texts) {
        float[][] out = new float[texts.size()][];
        List<int[]> batches;
        long[][] ids = new long[texts.size()][];
        long[][] types = new long[texts.size()][];
        if (config.batch() == 1) {
            batches = null;
        } else {
            Encoding[] encodings = tokenizer.batchEncode(texts);
            for (int i = 0; i < encodings.length; i++) {
                ids[i] = encodings[i].getIds();
                types[i] = encodings[i].getTypeIds();
            }
            batches = batches(ids);
        }
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < config.layout().callers; w++) {
            OrtSession session = sessions.get(w % sessions.size());
            futures.add(workers.submit(() -> {
                Inputs buffers = new Inputs(config.batch() * maxTokens);
                if (batches == null) {
                    for (int i; (i = next.getAndIncrement()) < texts.size(); ) {
                        Encoding e = tokenizer.encode(texts.get(i));
                        long[][] one = {e.getIds()};
                        long[][] oneTypes = {e.getTypeIds()};
                        float[][] v = run(session, buffers, one, oneTypes);
                        out[i] = v[0];
                    }
                } else {
                    for (int b; (b = next.getAndIncrement()) < batches.size(); ) {
                        int[] batch = batches.get(b);
                        long[][] bi = new long[batch.length][];
                        long[][] bt = new long[batch.length][];
                        for (int k = 0; k < batch.length; k++) {
                            bi[k] = ids[batch[k]];
                            bt[k] = types[batch[k]];
                        }
                        float[][] v = run(session, buffers, bi, bt);
                        for (int k = 0; k < batch.length; k++) {
                            out[batch[k]] = v[k];
                        }
                    }
                }
                return null;
            }));
        }
        try {
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("plain ORT failed: " + e.getCause(), e.getCause());
        }
        return Arrays.asList(out);
    }

    /** Batches of text indices: sorted by length if asked, handed out longest batch first. */
    private List<int[]> batches(long[][] ids) {
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (config.sortByLength()) {
            Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
        }
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < order.length; from += config.batch()) {
            int to = Math.min(order.length, from + config.batch());
            int[] b = new int[to - from];
            for (int k = from; k < to; k++) {
                b[k - from] = order[k];
            }
            out.add(b);
        }
        if (config.sortByLength()) {
            // longest-processing-time first: the last batches are the short ones, so the two
            // workers run out of work at nearly the same moment
            java.util.Collections.reverse(out);
        }
        return out;
    }

    /** Direct input buffers of one worker, reused for every call. */
    private static final class Inputs {
        final LongBuffer ids;
        final LongBuffer mask;
        final LongBuffer types;

        Inputs(int capacity) {
            ids = direct(capacity);
            mask = direct(capacity);
            types = direct(capacity);
        }

        private static LongBuffer direct(int n) {
            return ByteBuffer.allocateDirect(n * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
        }
    }

    private float[][] run(OrtSession session, Inputs in, long[][] ids, long[][] types) throws OrtException {
        int batch = ids.length;
        int longest = 0;
        long real = 0;
        for (long[] t : ids) {
            longest = Math.max(longest, t.length);
            real += t.length;
        }
        int n = batch * longest;
        in.ids.clear();
        in.mask.clear();
        in.types.clear();
        for (int i = 0; i < batch; i++) {
            int len = ids[i].length;
            in.ids.put(ids[i]);
            in.types.put(types[i]);
            for (int j = 0; j < len; j++) {
                in.mask.put(1L);
            }
            for (int j = len; j < longest; j++) {
                in.ids.put(0L);
                in.types.put(0L);
                in.mask.put(0L);
            }
        }
        in.ids.flip();
        in.mask.flip();
        in.types.flip();
        long[] shape = {batch, longest};
        tokensRun.addAndGet(real);
        paddedTokensRun.addAndGet(n);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, in.ids, shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, in.mask, shape));
            if (tokenTypes) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, in.types, shape));
            }
            try (OrtSession.Result result = session.run(inputs, Set.of(hiddenOutput))) {
                OnnxTensor hidden = (OnnxTensor) result.get(0);
                FloatBuffer data = hidden.getFloatBuffer();
                int dim = (int) hidden.getInfo().getShape()[2];
                float[][] out = new float[batch][];
                for (int i = 0; i < batch; i++) {
                    out[i] = meanPoolNormalize(data, i * longest * dim, ids[i].length, dim);
                }
                return out;
            }
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }

    static float[] meanPoolNormalize(FloatBuffer data, int base, int tokens, int dim) {
        float[] v = new float[dim];
        for (int t = 0; t < tokens; t++) {
            int off = base + t * dim;
            for (int d = 0; d < dim; d++) {
                v[d] += data.get(off + d);
            }
        }
        double sum = 0;
        for (int d = 0; d < dim; d++) {
            v[d] /= tokens;
            sum += (double) v[d] * v[d];
        }
        float inv = (float) (1 / Math.max(Math.sqrt(sum), 1e-12));
        for (int d = 0; d < dim; d++) {
            v[d] *= inv;
        }
        return v;
    }

    /** The rank-3 output (the last hidden state), not the BERT pooler output. */
    private static String hiddenStateOutput(OrtSession session) throws OrtException {
        for (Map.Entry<String, NodeInfo> e : session.getOutputInfo().entrySet()) {
            if (e.getValue().getInfo() instanceof TensorInfo t && t.getShape().length == 3) {
                return e.getKey();
            }
        }
        throw new IllegalStateException("no rank-3 output in " + session.getOutputInfo());
    }

    private void closeSessions() {
        for (OrtSession s : sessions) {
            try {
                s.close();
            } catch (OrtException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
        closeSessions();
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
