package dev.embedloop.sparse;

import dev.embedloop.qdrant.SparseVector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class Bm25Test {

    @Test
    void shouldHashLikeMurmurHash3Reference() {
        // SMHasher's published MurmurHash3_x86_32 vectors
        assertThat(Murmur3.hash32("", 0)).isZero();
        assertThat(Murmur3.hash32("", 1)).isEqualTo(0x514E28B7);
        assertThat(Murmur3.hash32("", 0xffffffff)).isEqualTo(0x81F16F39);
        assertThat(Murmur3.hash32("\0\0\0\0", 0)).isEqualTo(0x2362F9DE);
        assertThat(Murmur3.hash32("aaaa", 0x9747b28c)).isEqualTo(0x5A97808A);
        assertThat(Murmur3.hash32("Hello, world!", 0x9747b28c)).isEqualTo(0x24884CBA);
        assertThat(Murmur3.hash32("The quick brown fox jumps over the lazy dog", 0x9747b28c)).isEqualTo(0x2FA826CD);
    }

    @Test
    void shouldDropStopWordsSplitOnPunctuationAndStem() {
        assertThat(Bm25.terms("The flows, over swept-wings; were RUNNING!"))
                .containsExactly("flow", "swept", "wing", "run");
        assertThat(Bm25.terms("the of and")).isEmpty();
        assertThat(Bm25.terms("\u00a0\u200b\u0000")).isEmpty();
        assertThat(Bm25.terms("x".repeat(41) + " ok")).containsExactly("ok");
    }

    @Test
    void shouldWeighDocumentTermsByBm25TermFrequencyAndQueriesByOne() {
        Bm25 bm25 = new Bm25(1.2, 0.75, 4);
        SparseVector doc = bm25.document("wing wing lift drag");
        assertThat(doc.indices()).hasSize(3);
        int wing = Murmur3.tokenId("wing");
        double norm = 1.2 * (1 - 0.75 + 0.75 * 4 / 4.0);
        for (int i = 0; i < doc.indices().length; i++) {
            double tf = doc.indices()[i] == wing ? 2 : 1;
            assertThat(doc.values()[i]).isCloseTo((float) (tf * 2.2 / (tf + norm)), within(1e-6f));
        }
        SparseVector q = bm25.query("wings wing lift");
        assertThat(q.indices()).hasSize(2);
        assertThat(q.values()).containsOnly(1f);
        assertThat(bm25.document("").isEmpty()).isTrue();
    }

    @Test
    void shouldKeepIndicesStrictlyIncreasingAsUnsigned() {
        SparseVector v = Bm25.standard().document("aerodynamic heating of blunt bodies at hypersonic speeds and "
                + "boundary layer transition on cones in supersonic flow");
        for (int i = 1; i < v.indices().length; i++) {
            assertThat(Integer.compareUnsigned(v.indices()[i - 1], v.indices()[i])).isNegative();
        }
    }

    @Test
    void shouldScoreTheDocumentWithMoreMatchingTermsHigher() {
        Bm25 bm25 = Bm25.standard();
        SparseVector q = bm25.query("boundary layer transition");
        double relevant = dot(q, bm25.document("Transition of the boundary layer on a flat plate"));
        double other = dot(q, bm25.document("Heat transfer in a rocket nozzle"));
        assertThat(relevant).isGreaterThan(other);
        assertThat(other).isZero();
    }

    private static double dot(SparseVector a, SparseVector b) {
        double s = 0;
        for (int i = 0; i < a.indices().length; i++) {
            for (int j = 0; j < b.indices().length; j++) {
                if (a.indices()[i] == b.indices()[j]) {
                    s += a.values()[i] * b.values()[j];
                }
            }
        }
        return s;
    }
}
