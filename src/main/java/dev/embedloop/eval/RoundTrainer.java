package dev.embedloop.eval;

/**
 * Trains a candidate between click rounds of an evaluation, through the real trainer (training
 * pairs topic in, gate, export, {@code model-updates} out), and says what happened. With an online
 * phase ({@code train.online-gate}) a candidate that passes the offline gate goes under test; the
 * next round's simulated users then see interleaved pages, and {@link #decideOnline} lets the
 * online gate judge it on their clicks.
 */
public interface RoundTrainer extends AutoCloseable {

    /** Consumes every training example published so far, trains once, gates, and promotes or not. */
    Outcome trainNow() throws Exception;

    /**
     * Consumes every training example published so far and trains once if the trainer's loop would
     * now: {@code train.every-examples} new examples since its last training. The evaluation asks
     * after every session pass of a round, so a candidate can be trained (and tested by the round's
     * later sessions) as soon as the one before it is decided, as in the running service.
     *
     * @return the training, or null when none was due
     */
    default Outcome trainIfDue() throws Exception {
        return null;
    }

    /**
     * Reads every interleaving outcome published so far and asks the online gate about the candidate
     * under test, once (it promotes or abandons it, or lets it continue).
     *
     * @return the decision, or null when no candidate is under test
     */
    default Online decideOnline() throws Exception {
        return null;
    }

    /** The live model's version now. */
    String liveVersion();

    /** The version of the candidate under test now, or null when none is. */
    default String underTest() {
        return null;
    }

    @Override
    void close();

    /**
     * One training.
     *
     * @param examples examples in the training window
     * @param promoted whether the candidate was promoted (live at once)
     * @param version the promoted version, or the live one when not promoted
     * @param mode symmetric or query-only
     * @param liveMrr the live model's MRR on the held-out examples
     * @param candidateMrr the candidate's
     * @param seconds wall time of the training (embeddings, training, gate, export)
     * @param reason the gate's reason
     * @param status what became of the candidate: promoted, under_test, rejected, held, no_examples
     * @param candidate the candidate's version when one was published (promoted or under test), else null
     */
    record Outcome(long examples, boolean promoted, String version, String mode, double liveMrr, double candidateMrr,
            double seconds, String reason, String status, String candidate) {

        public Outcome(long examples, boolean promoted, String version, String mode, double liveMrr,
                double candidateMrr, double seconds, String reason) {
            this(examples, promoted, version, mode, liveMrr, candidateMrr, seconds, reason,
                    promoted ? "promoted" : "rejected", promoted ? version : null);
        }
    }

    /**
     * One decision of the online gate on a candidate under test.
     *
     * @param candidate the candidate's version
     * @param live the live model it was interleaved with
     * @param wins interleaved impressions whose clicks preferred the candidate
     * @param losses those that preferred the live model
     * @param ties those with no preference
     * @param pValue the two-sided sign test's p-value
     * @param verdict promote, abandon or continue
     * @param reason the gate's reason
     */
    record Online(String candidate, String live, int wins, int losses, int ties, double pValue, String verdict,
            String reason) {}
}
