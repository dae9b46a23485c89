package dev.embedloop.eval;

/**
 * Trains a candidate between click rounds of an evaluation, through the real trainer (training
 * pairs topic in, gate, export, {@code model-updates} out), and says what happened.
 */
public interface RoundTrainer extends AutoCloseable {

    /** Consumes every training example published so far, trains once, gates, and promotes or not. */
    Outcome trainNow() throws Exception;

    @Override
    void close();

    /**
     * One training.
     *
     * @param examples examples in the training window
     * @param promoted whether the candidate was promoted
     * @param version the promoted version, or the live one when not promoted
     * @param mode symmetric or query-only
     * @param liveMrr the live model's MRR on the held-out examples
     * @param candidateMrr the candidate's
     * @param seconds wall time of the training (embeddings, training, gate, export)
     * @param reason the gate's reason
     */
    record Outcome(long examples, boolean promoted, String version, String mode, double liveMrr, double candidateMrr,
            double seconds, String reason) {}
}
