package dev.embedloop.model;


/**
 * Where a {@link LinearAdapter} is applied.
 *
 * <p>The choice decides what a promotion costs downstream: a {@link #SYMMETRIC} adapter changes
 * document vectors too, so the index must be rebuilt before the new model can serve; a
 * {@link #QUERY_ONLY} adapter leaves stored vectors valid and can be hot-swapped in the query
 * path alone.
 */
public enum AdapterMode {
    /** W is applied to queries and documents alike: {@code cos(W q, W d)}. Needs a re-index. */
    SYMMETRIC,
    /** W is applied to queries only: {@code cos(W q, d)}. Stored document vectors stay valid. */
    QUERY_ONLY
}
