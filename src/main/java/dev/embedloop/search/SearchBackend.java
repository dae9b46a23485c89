package dev.embedloop.search;

import java.util.List;

/**
 * What the search service needs from the index: ranked documents for a query and the version of
 * the model that ranked them. {@link Searcher} is the real one (live model + Qdrant alias); tests
 * use fakes.
 *
 * <p>Implementations are thread-safe: the service calls them from several request threads.
 */
public interface SearchBackend {

    /**
     * The top {@code k} documents for {@code query}, best first, one hit per document.
     *
     * @throws dev.embedloop.qdrant.Qdrant.QdrantException when the index cannot be reached or refuses
     *     the query (the service answers 503)
     */
    List<Hit> search(String query, int k);

    /** The version of the live query model (health checks). */
    String modelVersion();

    /**
     * Ranked documents together with the version of the model that encoded the query (the one
     * matching the collection that answered), as written to the impression.
     */
    default Answer answer(String query, int k) {
        String version = modelVersion();
        return new Answer(search(query, k), version);
    }

    /** Hits and the model version that produced them. */
    record Answer(List<Hit> hits, String modelVersion) {}
}
