package dev.embedloop.train;

import java.util.List;
import java.util.Objects;

/**
 * One training example in embedding space: the base (frozen-encoder) embeddings of a query, its
 * clicked document and the documents shown but skipped, plus the example's weight.
 *
 * <p>This is the numeric twin of {@code dev.embedloop.events.TrainingExample}: the trainer
 * works on vectors so that the encoder runs once per text (through a cache) rather than once per
 * epoch. Arrays are held by reference, not copied, because a training set holds thousands of
 * them; callers must not mutate them afterwards. For the same reason {@code equals} is the
 * record's default, i.e. by array identity.
 *
 * @param query the query's base embedding (length d)
 * @param positive the clicked document's base embedding (length d)
 * @param hardNegatives base embeddings of shown-but-skipped documents, possibly empty
 * @param weight sample weight (inverse propensity), finite and positive
 */
public record TrainingTriple(float[] query, float[] positive, List<float[]> hardNegatives, double weight) {

    public TrainingTriple {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(positive, "positive");
        hardNegatives = List.copyOf(Objects.requireNonNull(hardNegatives, "hardNegatives"));
        if (query.length == 0) {
            throw new IllegalArgumentException("query embedding is empty");
        }
        if (positive.length != query.length) {
            throw new IllegalArgumentException("positive has dimension " + positive.length
                    + ", query has " + query.length);
        }
        for (float[] n : hardNegatives) {
            if (n.length != query.length) {
                throw new IllegalArgumentException("hard negative has dimension " + n.length
                        + ", query has " + query.length);
            }
        }
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("weight must be finite and positive, was " + weight);
        }
    }

    /** A triple with weight 1. */
    public TrainingTriple(float[] query, float[] positive, List<float[]> hardNegatives) {
        this(query, positive, hardNegatives, 1.0);
    }

    /** The embedding dimension d. */
    public int dim() {
        return query.length;
    }
}
