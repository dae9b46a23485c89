package dev.embedloop.sparse;

import dev.embedloop.qdrant.SparseVector;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.tartarus.snowball.ext.englishStemmer;

/**
 * BM25 as sparse vectors, computed in-process and laid out like Qdrant's own BM25 ({@code
 * Qdrant/bm25}): words split on anything not a letter or digit, lower-cased, English stop words
 * dropped, Snowball-stemmed, each term's id its MurmurHash3 ({@link Murmur3#tokenId}). A document
 * carries BM25's term-frequency part, {@code tf·(k1+1) / (tf + k1·(1 − b + b·len/avgLen))}; a query
 * carries 1 per distinct term. The collection's sparse vector is declared with Qdrant's IDF
 * modifier, so the server multiplies in each term's inverse document frequency over the collection
 * as it stands and the dot product is the BM25 score.
 *
 * <p>Thread-safe: the stemmer (not thread-safe) is one per thread.
 */
public final class Bm25 {

    /** Term-frequency saturation. */
    public static final double DEFAULT_K1 = 1.2;
    /** Length normalisation. */
    public static final double DEFAULT_B = 0.75;
    /** Expected document length in terms. */
    public static final double DEFAULT_AVG_LENGTH = 256;
    /** Longer "words" (hashes, base64, run-on junk) are not terms. */
    static final int MAX_TERM_LENGTH = 40;

    private static final ThreadLocal<englishStemmer> STEMMER = ThreadLocal.withInitial(englishStemmer::new);

    private final double k1;
    private final double b;
    private final double avgLength;

    public Bm25(double k1, double b, double avgLength) {
        if (!(k1 >= 0) || !(b >= 0 && b <= 1) || !(avgLength > 0)) {
            throw new IllegalArgumentException("need k1 >= 0, 0 <= b <= 1, avgLength > 0");
        }
        this.k1 = k1;
        this.b = b;
        this.avgLength = avgLength;
    }

    public static Bm25 standard() {
        return new Bm25(DEFAULT_K1, DEFAULT_B, DEFAULT_AVG_LENGTH);
    }

    /** The document vector: BM25's term-frequency part per term (IDF comes from the collection). */
    public SparseVector document(String text) {
        List<String> terms = terms(text);
        Map<Integer, Integer> tf = new TreeMap<>(Integer::compareUnsigned);
        for (String t : terms) {
            tf.merge(Murmur3.tokenId(t), 1, Integer::sum);
        }
        double norm = k1 * (1 - b + b * terms.size() / avgLength);
        int[] idx = new int[tf.size()];
        float[] val = new float[tf.size()];
        int i = 0;
        for (Map.Entry<Integer, Integer> e : tf.entrySet()) {
            double f = e.getValue();
            idx[i] = e.getKey();
            val[i++] = (float) (f * (k1 + 1) / (f + norm));
        }
        return new SparseVector(idx, val);
    }

    /** The query vector: 1 per distinct term. */
    public SparseVector query(String text) {
        Set<Integer> ids = new java.util.TreeSet<>(Integer::compareUnsigned);
        for (String t : terms(text)) {
            ids.add(Murmur3.tokenId(t));
        }
        int[] idx = new int[ids.size()];
        float[] val = new float[ids.size()];
        int i = 0;
        for (int id : ids) {
            idx[i] = id;
            val[i++] = 1f;
        }
        return new SparseVector(idx, val);
    }

    /** The terms of {@code text}, in order, stop words dropped and stemmed. */
    public static List<String> terms(String text) {
        String normalized = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        List<String> out = new ArrayList<>();
        englishStemmer stemmer = STEMMER.get();
        int n = normalized.length();
        int i = 0;
        while (i < n) {
            int cp = normalized.codePointAt(i);
            if (!Character.isLetterOrDigit(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            int start = i;
            while (i < n && Character.isLetterOrDigit(normalized.codePointAt(i))) {
                i += Character.charCount(normalized.codePointAt(i));
            }
            String word = normalized.substring(start, i);
            if (word.length() > MAX_TERM_LENGTH || StopWords.ENGLISH.contains(word)) {
                continue;
            }
            stemmer.setCurrent(word);
            stemmer.stem();
            String stem = stemmer.getCurrent();
            if (!stem.isEmpty()) {
                out.add(stem);
            }
        }
        return out;
    }
}
