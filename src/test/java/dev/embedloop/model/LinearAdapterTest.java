package dev.embedloop.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinearAdapterTest {

    private static LinearAdapter random(int dim, long seed, AdapterMode mode) {
        Random rnd = new Random(seed);
        float[] w = new float[dim * dim];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        return LinearAdapter.of(dim, w, mode, true);
    }

    @Test
    void shouldMapThroughIdentityToUnitVector() {
        float[] out = LinearAdapter.identity(3).apply(new float[] {3, 0, 4});
        assertThat(out).containsExactly(new float[] {0.6f, 0f, 0.8f}, within(1e-6f));
    }

    @Test
    void shouldMultiplyRowMajorThenNormalise() {
        // W = [[0, 2], [1, 0]]: (1, 1) -> (2, 1) -> (2, 1)/√5
        LinearAdapter a = LinearAdapter.of(2, new float[] {0, 2, 1, 0}, AdapterMode.SYMMETRIC, true);
        float[] out = a.apply(new float[] {1, 1});
        assertThat(out).containsExactly(new float[] {(float) (2 / Math.sqrt(5)), (float) (1 / Math.sqrt(5))}, within(1e-6f));
        LinearAdapter raw = LinearAdapter.of(2, new float[] {0, 2, 1, 0}, AdapterMode.SYMMETRIC, false);
        assertThat(raw.apply(new float[] {1, 1})).containsExactly(2f, 1f);
        assertThat(a.get(0, 1)).isEqualTo(2f);
    }

    @Test
    void shouldKeepZeroVectorFinite() {
        assertThat(LinearAdapter.identity(2).apply(new float[] {0, 0})).containsExactly(0f, 0f);
    }

    @Test
    void shouldLeaveDocumentsAloneInQueryOnlyMode() {
        LinearAdapter a = LinearAdapter.of(2, new float[] {0, 1, 1, 0}, AdapterMode.QUERY_ONLY, true);
        float[] doc = {1, 0};
        assertThat(a.applyDocument(doc)).containsExactly(1f, 0f);
        assertThat(a.applyQuery(doc)).containsExactly(0f, 1f);
        assertThat(a.withMode(AdapterMode.SYMMETRIC).applyDocument(doc)).containsExactly(0f, 1f);
        assertThat(doc).containsExactly(1f, 0f); // input untouched
    }

    @Test
    void shouldApplyAllInOrder() {
        LinearAdapter a = random(4, 1, AdapterMode.SYMMETRIC);
        float[] x = {1, 2, 3, 4};
        float[] y = {-1, 0, 1, 0};
        List<float[]> out = a.applyAll(List.of(x, y));
        assertThat(out.get(0)).containsExactly(a.apply(x));
        assertThat(out.get(1)).containsExactly(a.apply(y));
    }

    @Test
    void shouldRejectBadShapes() {
        assertThatThrownBy(() -> LinearAdapter.of(2, new float[3], AdapterMode.SYMMETRIC, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LinearAdapter.of(1, new float[] {Float.NaN}, AdapterMode.SYMMETRIC, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LinearAdapter.identity(2).apply(new float[3]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LinearAdapter.identity(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldCompareByContent() {
        LinearAdapter a = random(5, 2, AdapterMode.SYMMETRIC);
        LinearAdapter b = LinearAdapter.of(5, a.weights(), AdapterMode.SYMMETRIC, true);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(b.withMode(AdapterMode.QUERY_ONLY));
        float[] w = a.weights();
        w[7] += 0.5f;
        LinearAdapter c = LinearAdapter.of(5, w, AdapterMode.SYMMETRIC, true);
        assertThat(a).isNotEqualTo(c);
        assertThat(a.maxAbsDifference(c)).isCloseTo(0.5, within(1e-6));
        assertThat(LinearAdapter.identity(3).isIdentity()).isTrue();
        assertThat(a.weights()).as("weights() is a copy").isNotSameAs(a.weights());
    }

    @Test
    void shouldRoundTripThroughBytesAndFiles(@TempDir Path dir) throws IOException {
        for (AdapterMode mode : AdapterMode.values()) {
            LinearAdapter a = random(384, 3, mode);
            byte[] bytes = a.toBytes();
            assertThat(bytes).hasSize(16 + 384 * 384 * 4);
            assertThat(LinearAdapter.fromBytes(bytes)).isEqualTo(a);
            Path file = dir.resolve("adapter-" + mode + ".bin");
            a.save(file);
            assertThat(LinearAdapter.load(file)).isEqualTo(a);
        }
        LinearAdapter raw = LinearAdapter.of(2, new float[] {1, 2, 3, 4}, AdapterMode.SYMMETRIC, false);
        assertThat(LinearAdapter.fromBytes(raw.toBytes())).isEqualTo(raw);
        assertThat(Files.list(dir)).as("no temporary files left behind").hasSize(2);
    }

    @Test
    void shouldWriteLittleEndianHeaderAndRowMajorFloats() {
        LinearAdapter a = LinearAdapter.of(2, new float[] {1, 2, 3, 4}, AdapterMode.QUERY_ONLY, true);
        ByteBuffer buf = ByteBuffer.wrap(a.toBytes()).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        buf.get(magic);
        assertThat(new String(magic, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ELAD");
        assertThat(buf.getInt()).isEqualTo(1);
        assertThat(buf.getInt()).isEqualTo(2);
        assertThat(buf.getInt()).isEqualTo(3); // normalise + query-only
        assertThat(new float[] {buf.getFloat(), buf.getFloat(), buf.getFloat(), buf.getFloat()})
                .containsExactly(1f, 2f, 3f, 4f);
    }

    @Test
    void shouldRejectCorruptFiles() {
        byte[] good = LinearAdapter.identity(3).toBytes();
        byte[] badMagic = good.clone();
        badMagic[0] = 'X';
        assertThatThrownBy(() -> LinearAdapter.fromBytes(badMagic)).isInstanceOf(IOException.class).hasMessageContaining("magic");
        assertThatThrownBy(() -> LinearAdapter.fromBytes(Arrays.copyOf(good, good.length - 1)))
                .isInstanceOf(IOException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> LinearAdapter.fromBytes(Arrays.copyOf(good, 10)))
                .isInstanceOf(IOException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> LinearAdapter.fromBytes(Arrays.copyOf(good, good.length + 1)))
                .isInstanceOf(IOException.class).hasMessageContaining("trailing");
        byte[] nan = good.clone();
        ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putFloat(16, Float.NaN);
        assertThatThrownBy(() -> LinearAdapter.fromBytes(nan)).isInstanceOf(IOException.class).hasMessageContaining("non-finite");
        byte[] version = good.clone();
        version[4] = 9;
        assertThatThrownBy(() -> LinearAdapter.fromBytes(version)).isInstanceOf(IOException.class).hasMessageContaining("version");
    }
}
