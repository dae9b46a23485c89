package dev.embedloop.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.encode.ModelDescriptor;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.testing.FakeEncoder;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingCacheTest {

    /** Counts every text the encoder runs on, queries included. */
    static final class CountingEncoder implements TextEncoder {
        final FakeEncoder fake;
        final AtomicInteger documents = new AtomicInteger();
        final AtomicInteger queries = new AtomicInteger();

        CountingEncoder(ModelDescriptor model) {
            this.fake = new FakeEncoder(model);
        }

        @Override
        public ModelDescriptor model() {
            return fake.model();
        }

        @Override
        public List<float[]> encodeDocuments(List<String> texts) {
            documents.addAndGet(texts.size());
            return fake.encodeDocuments(texts);
        }

        @Override
        public float[] encodeQuery(String text) {
            queries.incrementAndGet();
            return fake.encodeQuery(text);
        }

        int total() {
            return documents.get() + queries.get();
        }

        @Override
        public void close() {}
    }

    private static final List<String> DOCS = List.of("lift of a wing", "boundary layer", "heat transfer", "flutter");

    @Test
    void shouldRunEncoderZeroTimesOnSecondPass(@TempDir Path dir) throws IOException {
        CountingEncoder enc = new CountingEncoder(FakeEncoder.MODEL);
        try (EmbeddingCache cache = EmbeddingCache.open(dir, enc)) {
            List<float[]> first = cache.documents(DOCS);
            float[] q = cache.query("wing lift");
            assertThat(enc.documents.get()).isEqualTo(4);
            assertThat(enc.queries.get()).isEqualTo(1);

            List<float[]> second = cache.documents(DOCS);
            float[] q2 = cache.query("wing lift");
            assertThat(enc.total()).as("second pass encodes nothing").isEqualTo(5);
            for (int i = 0; i < DOCS.size(); i++) {
                assertThat(second.get(i)).isEqualTo(first.get(i)).isEqualTo(enc.fake.vector(DOCS.get(i)));
            }
            assertThat(q2).isEqualTo(q).isEqualTo(enc.fake.vector("query: wing lift"));
            assertThat(cache.stats().hits()).isEqualTo(5);
            assertThat(cache.stats().encoded()).isEqualTo(5);
        }
    }

    @Test
    void shouldEncodeOnlyMissesAndDuplicatesOnce() {
        CountingEncoder enc = new CountingEncoder(FakeEncoder.MODEL);
        try (EmbeddingCache cache = EmbeddingCache.inMemory(enc)) {
            cache.documents(List.of("a", "b"));
            List<float[]> out = cache.documents(List.of("b", "c", "c", "a", "d"));
            assertThat(enc.documents.get()).isEqualTo(4); // a, b, then c and d once each
            assertThat(out.get(1)).isSameAs(out.get(2));
            assertThat(out.get(3)).isEqualTo(enc.fake.vector("a"));
        }
    }

    @Test
    void shouldKeepQueriesAndDocumentsApart() {
        CountingEncoder enc = new CountingEncoder(FakeEncoder.MODEL);
        try (EmbeddingCache cache = EmbeddingCache.inMemory(enc)) {
            float[] d = cache.documents(List.of("flutter")).get(0);
            float[] q = cache.query("flutter");
            assertThat(enc.total()).isEqualTo(2);
            assertThat(q).isNotEqualTo(d); // the fake model has a query prefix
            assertThat(cache.contains(EmbeddingCache.Role.QUERY, "flutter")).isTrue();
            assertThat(cache.contains(EmbeddingCache.Role.DOCUMENT, "other")).isFalse();
        }
    }

    @Test
    void shouldReloadFromDiskWithoutEncoding(@TempDir Path dir) throws IOException {
        CountingEncoder enc = new CountingEncoder(FakeEncoder.MODEL);
        List<float[]> first;
        try (EmbeddingCache cache = EmbeddingCache.open(dir, enc)) {
            first = cache.documents(DOCS);
            cache.queries(List.of("q1", "q2"));
        }
        CountingEncoder again = new CountingEncoder(FakeEncoder.MODEL);
        try (EmbeddingCache cache = EmbeddingCache.open(dir, again)) {
            assertThat(cache.stats().loaded()).isEqualTo(6);
            List<float[]> reloaded = cache.documents(DOCS);
            cache.queries(List.of("q1", "q2"));
            assertThat(again.total()).isZero();
            for (int i = 0; i < DOCS.size(); i++) {
                assertThat(reloaded.get(i)).isEqualTo(first.get(i));
            }
        }
    }

    @Test
    void shouldNotShareVectorsAcrossBaseModelVersions(@TempDir Path dir) throws IOException {
        try (EmbeddingCache cache = EmbeddingCache.open(dir, new CountingEncoder(FakeEncoder.MODEL))) {
            cache.documents(DOCS);
        }
        ModelDescriptor other = new ModelDescriptor("fake", "fake-2", 8, "mean", true, 16, "query: ", "", false);
        CountingEncoder enc = new CountingEncoder(other);
        try (EmbeddingCache cache = EmbeddingCache.open(dir, enc)) {
            cache.documents(DOCS);
            assertThat(enc.documents.get()).isEqualTo(DOCS.size());
        }
    }

    @Test
    void shouldSurviveTruncatedAndDamagedTail(@TempDir Path dir) throws IOException {
        Path file;
        try (EmbeddingCache cache = EmbeddingCache.open(dir, new CountingEncoder(FakeEncoder.MODEL))) {
            cache.documents(DOCS);
            file = cache.file();
        }
        int record = EmbeddingCache.KEY_BYTES + 8 * Float.BYTES + Integer.BYTES;
        long full = EmbeddingCache.HEADER_BYTES + 4L * record;
        assertThat(Files.size(file)).isEqualTo(full);
        // a crash in the middle of the fourth record
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(full - 10);
        }
        CountingEncoder enc = new CountingEncoder(FakeEncoder.MODEL);
        try (EmbeddingCache cache = EmbeddingCache.open(dir, enc)) {
            assertThat(cache.stats().loaded()).isEqualTo(3);
            assertThat(cache.documents(DOCS).get(3)).isEqualTo(enc.fake.vector(DOCS.get(3)));
            assertThat(enc.documents.get()).isEqualTo(1);
        }
        assertThat(Files.size(file)).as("re-appended after the cut").isEqualTo(full);

        // a flipped byte inside the second record: it and everything after are dropped
        byte[] bytes = Files.readAllBytes(file);
        bytes[EmbeddingCache.HEADER_BYTES + record + 20] ^= 0x5A;
        Files.write(file, bytes);
        CountingEncoder third = new CountingEncoder(FakeEncoder.MODEL);
        try (EmbeddingCache cache = EmbeddingCache.open(dir, third)) {
            assertThat(cache.stats().loaded()).isEqualTo(1);
            List<float[]> out = cache.documents(DOCS);
            assertThat(third.documents.get()).isEqualTo(3);
            assertThat(out.get(1)).isEqualTo(third.fake.vector(DOCS.get(1)));
        }
    }

    @Test
    void shouldEncodeEachTextOnceUnderConcurrentLookups(@TempDir Path dir) throws Exception {
        CountingEncoder enc = new CountingEncoder(FakeEncoder.MODEL);
        List<String> texts = IntStream.range(0, 200).mapToObj(i -> "text " + i).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (EmbeddingCache cache = EmbeddingCache.open(dir, enc)) {
            List<Future<List<float[]>>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                futures.add(pool.submit(() -> cache.documents(texts)));
            }
            for (Future<List<float[]>> f : futures) {
                List<float[]> out = f.get();
                assertThat(out.get(42)).isEqualTo(enc.fake.vector("text 42"));
            }
            assertThat(cache.stats().entries()).isEqualTo(200);
        } finally {
            pool.shutdownNow();
        }
        // racing threads may encode a text twice, but the file holds it once
        try (EmbeddingCache cache = EmbeddingCache.open(dir, new CountingEncoder(FakeEncoder.MODEL))) {
            assertThat(cache.stats().loaded()).isEqualTo(200);
        }
        int record = EmbeddingCache.KEY_BYTES + 8 * Float.BYTES + Integer.BYTES;
        assertThat(Files.size(dir.resolve("embeddings-fake-1.bin"))).isEqualTo(EmbeddingCache.HEADER_BYTES + 200L * record);
    }
}
