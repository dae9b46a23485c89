package dev.embedloop.search;

import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

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

    /**
     * A team-draft interleaving of the live model's and the candidate-under-test's rankings; empty
     * when no candidate is under test (or it cannot be searched yet): answer with {@link #answer}
     * then. The default has no candidates.
     */
    default Optional<InterleavedAnswer> answerInterleaved(String query, int k, RandomGenerator random) {
        return Optional.empty();
    }

    /** Hits and the model version that produced them. */
    record Answer(List<Hit> hits, String modelVersion) {}

    /**
     * An interleaved page.
     *
     * @param hits the page, at most k results, one per document
     * @param teams per result, {@code live} or {@code candidate}
     * @param liveVersion the live model (the impression's {@code model_version})
     * @param candidateVersion the candidate under test (the impression's {@code candidate_version})
     */
    record InterleavedAnswer(List<Hit> hits, List<String> teams, String liveVersion, String candidateVersion) {
        public InterleavedAnswer {
            hits = List.copyOf(hits);
            teams = List.copyOf(teams);
            if (hits.size() != teams.size()) {
                throw new IllegalArgumentException("one team per hit: " + hits.size() + " hits, " + teams.size()
                        + " teams");
            }
        }
    }
}
