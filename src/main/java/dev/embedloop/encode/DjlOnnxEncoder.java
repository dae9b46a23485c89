package dev.embedloop.encode;

import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import ai.djl.util.PairList;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TextEncoder} running an ONNX sentence-embedding model with DJL's ONNX Runtime engine
 * and the model's HuggingFace tokenizer.
 *
 * <p>Texts get the descriptor's document or query prefix, are tokenized with special tokens and
 * truncated to the model's {@code max_tokens} (special tokens included), run through the graph,
 * pooled over the attention mask ({@code mean} or {@code cls}) and L2-normalised when the
 * descriptor says so.
 *
 * <p>Work runs on a fixed pool of {@link EncoderOptions#parallelism()} daemon threads; there are
 * exactly as many DJL predictors (a predictor is not thread-safe), created one after another at
 * start-up, and a task takes one for the duration of an inference call. With
 * {@code batchSize == 1} every text is its own task; otherwise texts are tokenized up front,
 * optionally sorted by length, grouped into batches and each batch is one task. Either way
 * {@link #encodeDocuments} returns vectors in input order and may be called from many threads.
 * All predictors share one ONNX Runtime session, whose {@code run} is thread-safe.
 *
 * <p>Create one with {@link #builder()} or {@link #load(ModelDirectory, EncoderOptions)}; close it
 * to free the native model.
 */
public final class DjlOnnxEncoder implements TextEncoder {

    private static final Logger LOG = LoggerFactory.getLogger(DjlOnnxEncoder.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final ModelDescriptor descriptor;
    private final EncoderOptions options;
    private final HuggingFaceTokenizer tokenizer;
    private final ZooModel<TokenizedText, float[]> model;
    private final List<Predictor<TokenizedText, float[]>> predictors;
    private final BlockingQueue<Predictor<TokenizedText, float[]>> idle;
    private final ExecutorService workers;
    private volatile boolean closed;

    private DjlOnnxEncoder(ModelDirectory dir, EncoderOptions options) throws IOException {
        this.descriptor = dir.descriptor();
        this.options = options;
        NativeInit.init();
        HuggingFaceTokenizer tok = null;
        ZooModel<TokenizedText, float[]> zoo = null;
        List<Predictor<TokenizedText, float[]>> created = new ArrayList<>();
        boolean ok = false;
        try {
            synchronized (NativeInit.LOCK) {
                tok = HuggingFaceTokenizer.builder()
                        .optTokenizerPath(dir.tokenizerFile())
                        .optAddSpecialTokens(true)
                        // tokenizer.json may carry its own truncation and padding (MiniLM's says
                        // 128 and fixed padding): override both explicitly
                        .optTruncation(true)
                        .optMaxLength(descriptor.maxTokens())
                        .optPadding(false)
                        .optWithOverflowingTokens(false)
                        .build();
                zoo = loadModel(dir, options, descriptor);
                checkInputs(zoo, descriptor, dir);
                TokenizedText warmUp = tokenize(tok, "warm up");
                for (int i = 0; i < options.parallelism(); i++) {
                    Predictor<TokenizedText, float[]> p = zoo.newPredictor();
                    created.add(p);
                    // the first run of a session is slow (allocations); paying it here also checks
                    // that the output dimension agrees with model.json before any real input
                    float[] v = p.predict(warmUp);
                    if (v.length != descriptor.dimension()) {
                        throw new IOException(dir.modelFile() + " produces " + v.length
                                + "-dimensional vectors but model.json says " + descriptor.dimension());
                    }
                }
            }
            this.tokenizer = tok;
            this.model = zoo;
            this.predictors = List.copyOf(created);
            this.idle = new ArrayBlockingQueue<>(created.size(), false, created);
            int instance = INSTANCES.incrementAndGet();
            this.workers = Executors.newFixedThreadPool(options.parallelism(), daemonThreads("embedloop-encoder-" + instance));
            ok = true;
        } catch (TranslateException e) {
            throw new IOException("model " + descriptor.name() + " in " + dir.root() + " failed its warm-up inference: "
                    + e.getMessage(), e);
        } finally {
            if (!ok) {
                created.forEach(Predictor::close);
                if (zoo != null) {
                    zoo.close();
                }
                if (tok != null) {
                    tok.close();
                }
            }
        }
        LOG.info("Loaded model {} version {} ({}-d, {} pooling, normalize={}, max_tokens={}) from {} with {}",
                descriptor.name(), descriptor.version(), descriptor.dimension(), descriptor.pooling(),
                descriptor.normalize(), descriptor.maxTokens(), dir.root(), options);
    }

    /** A builder; {@link Builder#setModel} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Loads {@code dir} with the given options. */
    public static DjlOnnxEncoder load(ModelDirectory dir, EncoderOptions options) throws IOException {
        return builder().setModel(dir).optOptions(options).build();
    }

    /** Loads {@code dir} with {@link EncoderOptions#defaults()}. */
    public static DjlOnnxEncoder load(ModelDirectory dir) throws IOException {
        return builder().setModel(dir).build();
    }

    @Override
    public ModelDescriptor model() {
        return descriptor;
    }

    /** The options this encoder runs with. */
    public EncoderOptions options() {
        return options;
    }

    /**
     * How many tokens {@code text} has for this model, special tokens included, before
     * truncation is applied (capped at {@code max_tokens} since the tokenizer truncates).
     */
    public int countTokens(String text) {
        return tokenizer.encode(Objects.requireNonNull(text, "text")).getIds().length;
    }

    @Override
    public List<float[]> encodeDocuments(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        if (texts.isEmpty()) {
            return List.of();
        }
        List<String> inputs = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t == null) {
                throw new NullPointerException("texts[" + i + "] is null");
            }
            inputs.add(descriptor.documentPrefix() + t);
        }
        return run(inputs);
    }

    @Override
    public float[] encodeQuery(String text) {
        Objects.requireNonNull(text, "text");
        return run(List.of(descriptor.queryPrefix() + text)).get(0);
    }

    private List<float[]> run(List<String> inputs) {
        ensureOpen();
        float[][] out = new float[inputs.size()][];
        List<Callable<Void>> tasks = new ArrayList<>();
        if (options.batchSize() == 1) {
            // longest first: the pool is FIFO, so this is longest-processing-time-first scheduling
            // and the workers run out of work nearly together; in input order a long text that
            // comes last keeps one worker busy while the others idle (the indexer calls with a
            // dozen or so texts, where that tail is several percent of the call)
            for (int index : longestFirst(inputs)) {
                String text = inputs.get(index);
                // tokenizing inside the task spreads the tokenizer's work over the workers too
                tasks.add(() -> {
                    out[index] = withPredictor(p -> p.predict(tokenize(tokenizer, text)));
                    return null;
                });
            }
        } else {
            TokenizedText[] tokenized = tokenizeAll(inputs);
            for (int[] batch : batches(tokenized)) {
                tasks.add(() -> {
                    List<TokenizedText> group = new ArrayList<>(batch.length);
                    for (int index : batch) {
                        group.add(tokenized[index]);
                    }
                    List<float[]> vectors = withPredictor(p -> p.batchPredict(group));
                    for (int k = 0; k < batch.length; k++) {
                        out[batch[k]] = vectors.get(k);
                    }
                    return null;
                });
            }
        }
        runAll(tasks);
        return List.of(out);
    }

    /** Indices of {@code inputs}, longest text first (characters stand in for tokens); stable. */
    static int[] longestFirst(List<String> inputs) {
        int n = inputs.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (n > 1) {
            Arrays.sort(order, Comparator.comparingInt((Integer i) -> inputs.get(i).length()).reversed());
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = order[i];
        }
        return out;
    }

    /** Groups text indices into batches as the options say. */
    private List<int[]> batches(TokenizedText[] tokenized) {
        int n = tokenized.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (options.sortByLength()) {
            Arrays.sort(order, Comparator.comparingInt(i -> tokenized[i].length()));
        }
        // never leave a worker idle for want of a batch: with few texts, make smaller batches
        int perBatch = Math.min(options.batchSize(), Math.max(1, ceilDiv(n, options.parallelism())));
        List<int[]> batches = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        int longest = 0;
        for (int i = 0; i < n; i++) {
            int index = order[i];
            int len = tokenized[index].length();
            int longestIfAdded = Math.max(longest, len);
            boolean full = current.size() == perBatch
                    || (options.tokenBudget() > 0 && !current.isEmpty()
                            && (long) longestIfAdded * (current.size() + 1) > options.tokenBudget());
            if (full) {
                batches.add(current.stream().mapToInt(Integer::intValue).toArray());
                current.clear();
                longestIfAdded = len;
            }
            current.add(index);
            longest = longestIfAdded;
        }
        if (!current.isEmpty()) {
            batches.add(current.stream().mapToInt(Integer::intValue).toArray());
        }
        return batches;
    }

    private TokenizedText[] tokenizeAll(List<String> inputs) {
        Encoding[] encodings = tokenizer.batchEncode(inputs);
        TokenizedText[] out = new TokenizedText[encodings.length];
        for (int i = 0; i < encodings.length; i++) {
            out[i] = new TokenizedText(encodings[i].getIds(), encodings[i].getTypeIds());
        }
        return out;
    }

    private static TokenizedText tokenize(HuggingFaceTokenizer tokenizer, String text) {
        Encoding e = tokenizer.encode(text);
        return new TokenizedText(e.getIds(), e.getTypeIds());
    }

    @FunctionalInterface
    private interface Inference<T> {
        T run(Predictor<TokenizedText, float[]> predictor) throws TranslateException;
    }

    private <T> T withPredictor(Inference<T> inference) throws TranslateException, InterruptedException {
        // as many predictors as worker threads: this never waits
        Predictor<TokenizedText, float[]> p = idle.take();
        try {
            return inference.run(p);
        } finally {
            idle.add(p);
        }
    }

    private void runAll(List<Callable<Void>> tasks) {
        List<Future<Void>> futures = new ArrayList<>(tasks.size());
        try {
            for (Callable<Void> task : tasks) {
                futures.add(workers.submit(task));
            }
            for (Future<Void> f : futures) {
                f.get();
            }
        } catch (RejectedExecutionException e) {
            throw new EncoderException("encoder for " + descriptor.name() + " is closed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EncoderException("interrupted while encoding", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new EncoderException("encoding with " + descriptor.name() + " failed: " + cause, cause);
        } catch (CancellationException e) {
            throw new EncoderException("encoder for " + descriptor.name() + " was closed while encoding", e);
        } finally {
            // on failure, drop this call's remaining work instead of computing vectors nobody reads
            for (Future<Void> f : futures) {
                f.cancel(false);
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new EncoderException("encoder for " + descriptor.name() + " is closed");
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (Runnable neverStarted : workers.shutdownNow()) {
            // callers blocked on these futures would otherwise wait forever
            if (neverStarted instanceof Future<?> f) {
                f.cancel(false);
            }
        }
        try {
            // predictors must not be freed under a running inference
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Encoder workers for {} did not stop within 30 s; closing the model anyway", descriptor.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            predictors.forEach(Predictor::close);
            model.close();
            tokenizer.close();
        }
    }

    private static ZooModel<TokenizedText, float[]> loadModel(ModelDirectory dir, EncoderOptions options,
            ModelDescriptor descriptor) throws IOException {
        Criteria<TokenizedText, float[]> criteria = Criteria.builder()
                .setTypes(TokenizedText.class, float[].class)
                .optEngine("OnnxRuntime")
                .optModelPath(dir.root())
                .optModelName("model") // model.onnx
                .optTranslator(new EmbeddingTranslator(descriptor))
                .optOption("intraOpNumThreads", Integer.toString(options.intraOpThreads()))
                .optOption("interOpNumThreads", Integer.toString(options.interOpThreads()))
                .optOption("optLevel", options.optLevel())
                .build();
        try {
            return criteria.loadModel();
        } catch (ModelNotFoundException | MalformedModelException e) {
            throw new IOException("cannot load " + dir.modelFile() + " with ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /** Fails early, with names, when model.json disagrees with the graph about token types. */
    private static void checkInputs(ZooModel<?, ?> model, ModelDescriptor descriptor, ModelDirectory dir)
            throws IOException {
        PairList<String, Shape> inputs = model.getBlock().describeInput();
        List<String> names = inputs.keys();
        if (!names.contains("input_ids") || !names.contains("attention_mask")) {
            throw new IOException(dir.modelFile() + " takes inputs " + names
                    + "; expected input_ids and attention_mask (and token_type_ids)");
        }
        boolean graphWantsTypes = names.contains("token_type_ids");
        if (graphWantsTypes != descriptor.includeTokenTypes()) {
            throw new IOException(dir.modelFile() + " takes inputs " + names + " but model.json says include_token_types="
                    + descriptor.includeTokenTypes());
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + counter.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Builds a {@link DjlOnnxEncoder}: {@code setModel} is required, {@code optOptions} optional. */
    public static final class Builder {
        private ModelDirectory model;
        private EncoderOptions options = EncoderOptions.defaults();

        private Builder() {}

        /** The model directory to run (required). */
        public Builder setModel(ModelDirectory model) {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /** Parallelism, batching and ONNX Runtime threads; {@link EncoderOptions#defaults()} if not set. */
        public Builder optOptions(EncoderOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /**
         * Loads the tokenizer and the model and starts the workers.
         *
         * @throws IllegalStateException if no model was set
         * @throws IOException if the model cannot be loaded or disagrees with its descriptor
         */
        public DjlOnnxEncoder build() throws IOException {
            if (model == null) {
                throw new IllegalStateException("setModel(...) is required");
            }
            return new DjlOnnxEncoder(model, options);
        }
    }
}
