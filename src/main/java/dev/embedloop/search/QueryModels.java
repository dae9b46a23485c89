package dev.embedloop.search;

import dev.embedloop.encode.DjlOnnxEncoder;
import dev.embedloop.encode.EncoderOptions;
import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelStore;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.lineage.ModelUpdatesFollower;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query encoders of the search service, one per model version: the base encoder (owned by
 * the caller) and, for promoted models, their exported {@code model.onnx} loaded as any ONNX model
 * directory. A newly promoted model is loaded as soon as {@code model-updates} announces it, so
 * that it is ready when the alias moves. Thread-safe.
 */
public final class QueryModels implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QueryModels.class);

    private final TextEncoder base;
    private final ModelUpdatesFollower follower;
    private final EncoderOptions options;
    private final Map<String, TextEncoder> loaded = new ConcurrentHashMap<>();
    private final ModelLineage fixedLineage;
    private final Resolver resolver;

    /** Where the model directory of a promoted model is on this host. */
    @FunctionalInterface
    public interface Resolver {
        ModelDirectory resolve(ModelUpdate update) throws IOException;
    }

    private QueryModels(TextEncoder base, ModelUpdatesFollower follower, EncoderOptions options, Resolver resolver) {
        this.base = base;
        this.follower = follower;
        this.options = options;
        this.fixedLineage = ModelLineage.base(base.model().version());
        this.resolver = resolver;
    }

    /** Only the given encoder: no model updates are followed. */
    public static QueryModels fixed(TextEncoder base) {
        return new QueryModels(base, null, null, null);
    }

    /**
     * Follows {@code follower}'s lineage (the follower stays owned by the caller); promoted models
     * are loaded with {@code options}.
     */
    public static QueryModels following(TextEncoder base, ModelUpdatesFollower follower, EncoderOptions options) {
        return following(base, follower, options, update -> ModelDirectory.load(ModelStore.directory(update)));
    }

    /** As above, promoted models found by {@code resolver} (e.g. rebuilt into a local store: {@link ModelStore#materialise}). */
    public static QueryModels following(TextEncoder base, ModelUpdatesFollower follower, EncoderOptions options,
            Resolver resolver) {
        QueryModels models = new QueryModels(base, follower, options, resolver);
        follower.addListener(lineage -> {
            String live = lineage.liveVersion();
            if (!live.equals(lineage.baseVersion()) && !models.loaded.containsKey(live)) {
                Thread preload = new Thread(() -> {
                    try {
                        models.encoder(live);
                    } catch (RuntimeException e) {
                        LOG.error("could not load query model {}: {}", live, e.getMessage());
                    }
                }, "query-model-preload");
                preload.setDaemon(true);
                preload.start();
            }
        });
        return models;
    }

    public ModelLineage lineage() {
        return follower == null ? fixedLineage : follower.lineage();
    }

    /** Waits (polling, with a deadline) until the lineage satisfies {@code condition}. */
    boolean await(Predicate<ModelLineage> condition, Duration timeout) {
        if (follower == null) {
            return condition.test(fixedLineage);
        }
        try {
            return follower.await(condition, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public String baseVersion() {
        return base.model().version();
    }

    /**
     * The encoder of {@code version}, loading it on first use.
     *
     * @throws IllegalStateException when the version is unknown or its directory does not load
     */
    public TextEncoder encoder(String version) {
        if (version.equals(base.model().version())) {
            return base;
        }
        return loaded.computeIfAbsent(version, v -> {
            ModelUpdate update = lineage().get(v).orElseThrow(
                    () -> new IllegalStateException("model version " + v + " is not on the model-updates topic"));
            long start = System.nanoTime();
            try {
                DjlOnnxEncoder encoder = DjlOnnxEncoder.load(resolver.resolve(update), options);
                if (!encoder.model().version().equals(v)) {
                    encoder.close();
                    throw new IllegalStateException("model directory " + update.path() + " holds version "
                            + encoder.model().version() + ", not " + v);
                }
                LOG.info("query model {} loaded in {} ms", v, (System.nanoTime() - start) / 1_000_000);
                return encoder;
            } catch (IOException e) {
                throw new IllegalStateException("could not load model " + v + " from " + update.path() + ": "
                        + e.getMessage(), e);
            }
        });
    }

    @Override
    public void close() {
        loaded.values().forEach(TextEncoder::close);
        loaded.clear();
    }
}
