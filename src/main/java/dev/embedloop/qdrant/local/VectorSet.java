package dev.embedloop.qdrant.local;

/**
 * The vectors of one point (or one vector update), indexed like the collection's stores: one {@code float[]} per
 * dense vector name and one {@link SparseVec} per sparse one, {@code null} where the point has none.
 */
record VectorSet(float[][] dense, SparseVec[] sparse) {
}
