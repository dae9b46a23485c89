package dev.embedloop.bench;

import dev.embedloop.encode.DjlOnnxEncoder;
import dev.embedloop.encode.EncoderOptions;
import dev.embedloop.encode.ModelDirectory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Prototype of a fix, for the benchmark only: Embedloop's own encoder code path (DJL predictor,
 * {@code EmbeddingTranslator}, pooling), but with one ONNX Runtime session per worker instead of
 * one session shared by all predictors. Built from {@code parallelism} encoders of one predictor
 * each (every {@link DjlOnnxEncoder} loads its own DJL model, hence its own session); each worker
 * thread pulls the next text and encodes it with its own encoder.
 */
final class SessionPerWorkerEncoder implements AutoCloseable {

    private final List<DjlOnnxEncoder> encoders = new ArrayList<>();
    private final ExecutorService workers;

    SessionPerWorkerEncoder(ModelDirectory dir, EncoderOptions options) throws IOException {
        try {
            for (int i = 0; i < options.parallelism(); i++) {
                encoders.add(DjlOnnxEncoder.load(dir, options.withParallelism(1)));
            }
        } catch (IOException | RuntimeException e) {
            encoders.forEach(DjlOnnxEncoder::close);
            throw e;
        }
        AtomicInteger n = new AtomicInteger();
        workers = Executors.newFixedThreadPool(options.parallelism(), r -> {
            Thread t = new Thread(r, "prototype-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    List<float[]> encodeDocuments(List<String> texts) {
        float[][] out = new float[texts.size()][];
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (DjlOnnxEncoder encoder : encoders) {
            futures.add(workers.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < texts.size(); ) {
                    out[i] = encoder.encodeDocuments(List.of(texts.get(i))).get(0);
                }
            }));
        }
        try {
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return Arrays.asList(out);
    }

    @Override
    public void close() {
        workers.shutdownNow();
        encoders.forEach(DjlOnnxEncoder::close);
    }
}
