package dev.embedloop.encode;

import java.util.Objects;
import java.util.Set;

/**
 * How {@link DjlOnnxEncoder} spreads work over the CPU.
 *
 * <p>The {@linkplain #defaults() defaults} were chosen by measurement on the 2-core machines this
 * runs on: one text per inference call on two parallel predictors, each running ONNX Runtime
 * with one intra-op thread, beat length-sorted batches of 16 (padding and cache pressure cost
 * more than batching saves on two cores). Re-measure with {@code CranfieldReferenceCheck} before
 * changing them for bigger machines.
 *
 * @param parallelism worker threads, each owning one DJL predictor (≥ 1)
 * @param batchSize texts per inference call (≥ 1); 1 disables batching
 * @param tokenBudget when batching, the most padded tokens (texts × longest) a batch may hold;
 *     0 for no limit besides {@code batchSize}. A single text over the budget goes alone.
 * @param sortByLength when batching, group texts of similar token length to cut padding
 * @param intraOpThreads ONNX Runtime threads inside one inference call (≥ 1)
 * @param interOpThreads ONNX Runtime threads across graph branches (≥ 1; only used in its
 *     parallel execution mode)
 * @param optLevel ONNX Runtime graph optimisation: {@code NO_OPT}, {@code BASIC_OPT},
 *     {@code EXTENDED_OPT} or {@code ALL_OPT}
 */
public record EncoderOptions(
        int parallelism,
        int batchSize,
        int tokenBudget,
        boolean sortByLength,
        int intraOpThreads,
        int interOpThreads,
        String optLevel) {

    private static final Set<String> OPT_LEVELS = Set.of("NO_OPT", "BASIC_OPT", "EXTENDED_OPT", "ALL_OPT");

    public EncoderOptions {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
        }
        if (tokenBudget < 0) {
            throw new IllegalArgumentException("tokenBudget must be >= 0 (0 = no budget), was " + tokenBudget);
        }
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be at least 1, was " + intraOpThreads);
        }
        if (interOpThreads < 1) {
            throw new IllegalArgumentException("interOpThreads must be at least 1, was " + interOpThreads);
        }
        Objects.requireNonNull(optLevel, "optLevel");
        if (!OPT_LEVELS.contains(optLevel)) {
            throw new IllegalArgumentException("optLevel must be one of " + OPT_LEVELS + ", was " + optLevel);
        }
    }

    /** Two predictors, one text per call, one ONNX Runtime thread each, all graph optimisations. */
    public static EncoderOptions defaults() {
        return new EncoderOptions(2, 1, 0, true, 1, 1, "ALL_OPT");
    }

    /** These options with {@code parallelism} predictors. */
    public EncoderOptions withParallelism(int parallelism) {
        return new EncoderOptions(parallelism, batchSize, tokenBudget, sortByLength, intraOpThreads, interOpThreads, optLevel);
    }

    /** These options with batches of {@code batchSize} texts (sorted by length or not). */
    public EncoderOptions withBatching(int batchSize, boolean sortByLength) {
        return new EncoderOptions(parallelism, batchSize, tokenBudget, sortByLength, intraOpThreads, interOpThreads, optLevel);
    }

    /** These options with a padded-token budget per batch (0 = none). */
    public EncoderOptions withTokenBudget(int tokenBudget) {
        return new EncoderOptions(parallelism, batchSize, tokenBudget, sortByLength, intraOpThreads, interOpThreads, optLevel);
    }

    /** These options with other ONNX Runtime thread counts. */
    public EncoderOptions withThreads(int intraOpThreads, int interOpThreads) {
        return new EncoderOptions(parallelism, batchSize, tokenBudget, sortByLength, intraOpThreads, interOpThreads, optLevel);
    }

    /** These options with another ONNX Runtime optimisation level. */
    public EncoderOptions withOptLevel(String optLevel) {
        return new EncoderOptions(parallelism, batchSize, tokenBudget, sortByLength, intraOpThreads, interOpThreads, optLevel);
    }
}
