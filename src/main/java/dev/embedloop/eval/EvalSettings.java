package dev.embedloop.eval;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What an evaluation run does; validated here so that a bad flag fails before anything starts.
 *
 * @param dataset BEIR-layout directory
 * @param split judgement split to evaluate ({@code qrels/<split>.tsv})
 * @param chunking false: each document is indexed as its first model window only
 *     ({@code chunk.enabled=false}); only the embedded indexer obeys it
 * @param cutoff k of nDCG@k and MRR@k; results are fetched to depth max(100, k)
 * @param output where the JSON results go
 * @param external use the configured Kafka, Qdrant (and a running {@code index}) instead of the
 *     embedded mode
 * @param publish publish the corpus as document events (always in the embedded mode)
 * @param indexTimeout how long indexing may take before the run gives up
 * @param settle external mode: a document count that has not moved for this long is taken as
 *     final even when it is short of the corpus (dead-lettered documents never arrive)
 * @param clicks the click simulation, null for none
 * @param ignoreIdenticalIds leave a query's own id out of its results before scoring: in data sets
 *     whose queries are also corpus documents (ArguAna, Quora) BEIR's and MTEB's evaluation do this
 */
public record EvalSettings(Path dataset, String split, boolean chunking, int cutoff, Path output, boolean external,
        boolean publish, Duration indexTimeout, Duration settle, Clicks clicks, boolean ignoreIdenticalIds) {

    public static final int RECALL_DEPTH = 100;
    public static final int MAX_CUTOFF = 1000;

    public EvalSettings {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(indexTimeout, "indexTimeout");
        Objects.requireNonNull(settle, "settle");
        if (split == null || split.isBlank()) {
            throw new IllegalArgumentException("--split must not be empty");
        }
        if (cutoff < 1 || cutoff > MAX_CUTOFF) {
            throw new IllegalArgumentException("--k must be between 1 and " + MAX_CUTOFF + ", was " + cutoff);
        }
        if (indexTimeout.isNegative() || indexTimeout.isZero()) {
            throw new IllegalArgumentException("--timeout must be positive, was " + indexTimeout.toSeconds() + " s");
        }
        if (settle.isNegative() || settle.isZero()) {
            throw new IllegalArgumentException("--settle must be positive, was " + settle.toSeconds() + " s");
        }
        if (!external && !publish) {
            throw new IllegalArgumentException("--no-publish needs --external: the embedded mode starts empty");
        }
    }

    /** Scores every document of a query's results, its own id included. */
    public EvalSettings(Path dataset, String split, boolean chunking, int cutoff, Path output, boolean external,
            boolean publish, Duration indexTimeout, Duration settle, Clicks clicks) {
        this(dataset, split, chunking, cutoff, output, external, publish, indexTimeout, settle, clicks, false);
    }

    /** Results scored per query: enough for recall@100 and for the cutoff. */
    public int depth() {
        return Math.max(RECALL_DEPTH, cutoff);
    }

    /** Results fetched per query: {@link #depth()}, and one more when the query's own id is left out. */
    public int searchDepth() {
        return depth() + (ignoreIdenticalIds ? 1 : 0);
    }

    /**
     * The click simulation.
     *
     * @param split the judgements that decide clicks (BEIR's {@code train} split by default)
     * @param rounds how many rounds
     * @param sessions sessions per query and round
     * @param eta position-bias exponent of the {@link ClickModel}
     * @param dwellMs dwell time reported with each click
     * @param seed fixes every simulated decision
     * @param searchUrl the search service to use; null: the embedded one (embedded mode) or
     *     {@code http://localhost:<search.port>} (external mode)
     * @param train {@code symmetric} or {@code query-only}: run the trainer between session passes
     *     and after every round, and evaluate again with the model it leaves live (embedded mode); null: clicks only
     */
    public record Clicks(String split, int rounds, int sessions, double eta, long dwellMs, long seed, URI searchUrl,
            String train) {

        public Clicks(String split, int rounds, int sessions, double eta, long dwellMs, long seed, URI searchUrl) {
            this(split, rounds, sessions, eta, dwellMs, seed, searchUrl, null);
        }

        public Clicks {
            if (train != null && !train.equals("symmetric") && !train.equals("query-only")) {
                throw new IllegalArgumentException("--train-mode must be symmetric or query-only, was '" + train + "'");
            }
            if (split == null || split.isBlank()) {
                throw new IllegalArgumentException("--click-split must not be empty");
            }
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds must be at least 1, was " + rounds);
            }
            if (sessions < 1) {
                throw new IllegalArgumentException("--sessions must be at least 1, was " + sessions);
            }
            new ClickModel(eta, dwellMs); // validates eta and dwell with the model's own messages
        }

        public ClickModel model() {
            return new ClickModel(eta, dwellMs);
        }
    }
}
