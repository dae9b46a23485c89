package dev.embedloop.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.embedloop.events.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results of one evaluation run, as printed and as written to JSON. Metric keys carry their
 * cutoff ({@code ndcg@10}, {@code ndcg@10_exp}, {@code recall@100}, {@code mrr@10}); {@code ndcg}
 * uses linear gains as trec_eval/pytrec_eval (BEIR) do, {@code ndcg_exp} 2^grade − 1.
 */
@JsonPropertyOrder({"dataset", "split", "mode", "model", "model_version", "chunking", "overlap_tokens",
    "corpus_documents", "judged_queries", "evaluated_queries", "metrics", "indexing", "search", "clicks", "per_query"})
public record EvalReport(
        @JsonProperty("dataset") String dataset,
        @JsonProperty("split") String split,
        @JsonProperty("mode") String mode,
        @JsonProperty("model") String model,
        @JsonProperty("model_version") String modelVersion,
        @JsonProperty("chunking") boolean chunking,
        @JsonProperty("overlap_tokens") int overlapTokens,
        @JsonProperty("corpus_documents") int corpusDocuments,
        @JsonProperty("judged_queries") int judgedQueries,
        @JsonProperty("evaluated_queries") int evaluatedQueries,
        @JsonProperty("metrics") Map<String, Double> metrics,
        @JsonProperty("indexing") Indexing indexing,
        @JsonProperty("search") Search search,
        @JsonProperty("clicks") Clicks clicks,
        @JsonProperty("training") List<TrainingRound> training,
        @JsonProperty("per_query") Map<String, Map<String, Double>> perQuery) {

    /**
     * How the corpus got into the index.
     *
     * @param documents documents in the index when searching started (those with a chunk 0 point)
     * @param deadLettered embedded mode only, else null
     * @param chunks points written (embedded mode only, else null)
     * @param seconds from the first publish (or the start of waiting) until caught up
     * @param docsPerSecond documents indexed during that time per second, null when none were
     */
    @JsonPropertyOrder({"published", "documents", "dead_lettered", "chunks", "seconds", "docs_per_s"})
    public record Indexing(
            @JsonProperty("published") long published,
            @JsonProperty("documents") long documents,
            @JsonProperty("dead_lettered") Long deadLettered,
            @JsonProperty("chunks") Long chunks,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("docs_per_s") Double docsPerSecond) {}

    /**
     * The search pass over the evaluated queries.
     *
     * @param ignoreIdenticalIds each query's own id was left out of its results ({@code --ignore-identical-ids})
     */
    @JsonPropertyOrder({"queries", "depth", "ignore_identical_ids", "seconds", "queries_per_s"})
    public record Search(
            @JsonProperty("queries") int queries,
            @JsonProperty("depth") int depth,
            @JsonProperty("ignore_identical_ids") boolean ignoreIdenticalIds,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("queries_per_s") double queriesPerSecond) {}

    /** The click simulation and its rounds. */
    @JsonPropertyOrder({"split", "queries", "sessions", "eta", "dwell_ms", "seed", "search_url", "rounds"})
    public record Clicks(
            @JsonProperty("split") String split,
            @JsonProperty("queries") int queries,
            @JsonProperty("sessions") int sessions,
            @JsonProperty("eta") double eta,
            @JsonProperty("dwell_ms") long dwellMs,
            @JsonProperty("seed") long seed,
            @JsonProperty("search_url") String searchUrl,
            @JsonProperty("rounds") List<ClickSimulator.RoundReport> rounds) {}

    /**
     * One click round followed by the online gate's decision on the candidate under test (if any)
     * and a training: what the trainer did and the evaluation split's metrics once the search
     * service answers with the resulting live model.
     *
     * @param promoted whether the training's candidate went live at once (offline gate only)
     * @param modelVersion the live model after the round
     * @param status what became of the round's candidate: promoted, under_test, rejected, held, no_examples
     * @param candidate the round's candidate when one was published (live or under test), else null
     * @param swapSeconds from the promotion to the first search answered by the new model (re-index
     *     and alias move included in symmetric mode)
     * @param online the online gate's decision on the candidate that was under test during the
     *     round, null when none was
     * @param candidateMetrics the evaluation split searched with the candidate under test after the
     *     round (its own ranking, not interleaved), null when none is: what its promotion would
     *     give. A diagnostic of the gate, never an input to it
     * @param steps what the trainer did between the round's session passes, in order (only the
     *     passes after which something happened); the fields above are what it did after the last
     */
    @JsonPropertyOrder({"round", "steps", "examples", "online", "promoted", "status", "candidate", "model_version",
        "mode", "gate_live_mrr", "gate_candidate_mrr", "train_seconds", "swap_seconds", "reason", "metrics",
        "candidate_metrics"})
    public record TrainingRound(
            @JsonProperty("round") int round,
            @JsonProperty("examples") long examples,
            @JsonProperty("promoted") boolean promoted,
            @JsonProperty("model_version") String modelVersion,
            @JsonProperty("mode") String mode,
            @JsonProperty("gate_live_mrr") double gateLiveMrr,
            @JsonProperty("gate_candidate_mrr") double gateCandidateMrr,
            @JsonProperty("train_seconds") double trainSeconds,
            @JsonProperty("swap_seconds") double swapSeconds,
            @JsonProperty("reason") String reason,
            @JsonProperty("metrics") Map<String, Double> metrics,
            @JsonProperty("status") String status,
            @JsonProperty("candidate") String candidate,
            @JsonProperty("online") Online online,
            @JsonProperty("candidate_metrics") Map<String, Double> candidateMetrics,
            @JsonProperty("steps") List<Step> steps) {

        public TrainingRound {
            steps = steps == null ? List.of() : List.copyOf(steps);
        }

        public String describe(int cutoff) {
            String decided = online == null ? "" : online.describe() + "; ";
            String trained = switch (status == null ? "" : status) {
                case "under_test" -> "candidate " + candidate + " under test";
                case "promoted" -> "promoted " + candidate;
                default -> status + ", live " + modelVersion;
            };
            return String.format(Locale.ROOT,
                    "after round %d: %s%d examples, %s (gate MRR live %.4f vs candidate %.4f), train %.1f s, swap %.1f s;"
                            + " live %s: nDCG@%d %.4f (exp %.4f), recall@100 %.4f, MRR@%d %.4f",
                    round, decided, examples, trained, gateLiveMrr, gateCandidateMrr,
                    trainSeconds, swapSeconds, modelVersion, cutoff, metrics.get("ndcg@" + cutoff),
                    metrics.get("ndcg@" + cutoff + "_exp"), metrics.get("recall@100"), cutoff, metrics.get("mrr@" + cutoff))
                    + (candidateMetrics == null ? "" : String.format(Locale.ROOT,
                            "; candidate under test, not live: nDCG@%d %.4f (exp %.4f)", cutoff,
                            candidateMetrics.get("ndcg@" + cutoff), candidateMetrics.get("ndcg@" + cutoff + "_exp")));
        }
    }

    /**
     * What the trainer did after one session pass inside a round, when something happened: the
     * online gate concluded on the candidate under test (promoted or abandoned it), or a training was
     * due (every {@code train.every-examples} new examples) and not held, so a candidate was trained
     * and screened. A candidate trained here is under test for the round's remaining sessions.
     *
     * @param session the session pass after which this happened
     * @param online the online gate's conclusion, null when it did not conclude
     * @param superseded the candidate the training abandoned as superseded (undecided after as many
     *     newer examples as it was trained on, {@code train.online-supersede}), else null
     * @param status the training's outcome (under_test, promoted, rejected), null when none was due or it was held
     * @param candidate the trained candidate's version when one was published, else null
     * @param examples examples in the training window (0 when nothing was trained)
     * @param reason the gate's reason for the training (null when nothing was trained)
     * @param trainSeconds the training's wall time (0 when nothing was trained)
     * @param modelVersion the live model after the step
     * @param metrics the evaluation split searched with the live model, when the step changed it, else null
     */
    @JsonPropertyOrder({"session", "online", "superseded", "status", "candidate", "examples", "train_seconds",
        "reason", "model_version", "metrics"})
    public record Step(
            @JsonProperty("session") int session,
            @JsonProperty("online") Online online,
            @JsonProperty("superseded") String superseded,
            @JsonProperty("status") String status,
            @JsonProperty("candidate") String candidate,
            @JsonProperty("examples") long examples,
            @JsonProperty("reason") String reason,
            @JsonProperty("train_seconds") double trainSeconds,
            @JsonProperty("model_version") String modelVersion,
            @JsonProperty("metrics") Map<String, Double> metrics) {

        public String describe(int round, int cutoff) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "round %d after session %d: ", round, session));
            if (online != null) {
                b.append(online.describe()).append("; ");
            }
            if (superseded != null) {
                b.append(superseded).append(" superseded; ");
            }
            if (status != null) {
                b.append(String.format(Locale.ROOT, "%d examples, %s, train %.1f s; ", examples,
                        candidate == null ? status : status + " " + candidate, trainSeconds));
            }
            b.append("live ").append(modelVersion);
            if (metrics != null) {
                b.append(String.format(Locale.ROOT, ": nDCG@%d %.4f (exp %.4f)", cutoff, metrics.get("ndcg@" + cutoff),
                        metrics.get("ndcg@" + cutoff + "_exp")));
            }
            return b.toString();
        }
    }

    /**
     * The online gate's decision after a round on the candidate that was under test during it.
     *
     * @param wins interleaved impressions whose clicks preferred the candidate
     * @param losses those that preferred the live model
     * @param ties those without a preference
     * @param pValue two-sided sign test
     * @param verdict promote, abandon or continue
     */
    @JsonPropertyOrder({"candidate", "live", "wins", "losses", "ties", "p_value", "verdict", "reason"})
    public record Online(
            @JsonProperty("candidate") String candidate,
            @JsonProperty("live") String live,
            @JsonProperty("wins") int wins,
            @JsonProperty("losses") int losses,
            @JsonProperty("ties") int ties,
            @JsonProperty("p_value") double pValue,
            @JsonProperty("verdict") String verdict,
            @JsonProperty("reason") String reason) {

        /** "online CANDIDATE VERDICT (wins …, losses …, ties …, p=…)", as progress lines print it. */
        public String describe() {
            return String.format(Locale.ROOT, "online %s %s (wins %d, losses %d, ties %d, p=%.4f)", candidate, verdict,
                    wins, losses, ties, pValue);
        }

        static Online of(RoundTrainer.Online o) {
            return o == null ? null
                    : new Online(o.candidate(), o.live(), o.wins(), o.losses(), o.ties(), o.pValue(), o.verdict(), o.reason());
        }
    }

    /** The metric map of a summary, keys with their cutoffs. */
    public static Map<String, Double> metricsOf(Metrics.Summary s) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("ndcg@" + s.cutoff(), s.ndcg());
        m.put("ndcg@" + s.cutoff() + "_exp", s.ndcgExp());
        m.put("recall@" + s.recallDepth(), s.recall());
        m.put("mrr@" + s.cutoff(), s.mrr());
        return m;
    }

    /** The metric map of one query. */
    public static Map<String, Double> metricsOf(int cutoff, int recallDepth, Metrics.QueryScores q) {
        return metricsOf(new Metrics.Summary(cutoff, recallDepth, 1, q.ndcg(), q.ndcgExp(), q.recall(),
                q.reciprocalRank()));
    }

    /** Writes the JSON (pretty-printed) atomically: a reader never sees half a file. */
    public void write(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        if (abs.getParent() != null) {
            Files.createDirectories(abs.getParent());
        }
        Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, Json.MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(this));
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The human summary. */
    public void print(PrintStream out) {
        out.printf(Locale.ROOT, "%s, split %s: %d of %d judged queries evaluated over %d documents%n",
                dataset, split, evaluatedQueries, judgedQueries, corpusDocuments);
        out.printf(Locale.ROOT, "  mode %s, model %s (%s), chunking %s%n", mode, model, modelVersion,
                chunking ? "on (overlap " + overlapTokens + " tokens)" : "off (first window only)");
        metrics.forEach((name, value) -> {
            if (!name.endsWith("_exp")) {
                out.printf(Locale.ROOT, "  %-12s %.4f%n", name, value);
            }
        });
        metrics.forEach((name, value) -> {
            if (name.endsWith("_exp")) {
                out.printf(Locale.ROOT, "  %-12s %.4f   (nDCG with exponential gains 2^grade-1, for comparison)%n",
                        name, value);
            }
        });
        out.printf(Locale.ROOT, "  indexing     %d documents in the index (%d published%s%s) in %.1f s%s%n",
                indexing.documents(), indexing.published(),
                indexing.deadLettered() == null ? "" : ", " + indexing.deadLettered() + " dead-lettered",
                indexing.chunks() == null ? "" : ", " + indexing.chunks() + " chunks",
                indexing.seconds(),
                indexing.docsPerSecond() == null ? "" : String.format(Locale.ROOT, ": %.1f docs/s", indexing.docsPerSecond()));
        out.printf(Locale.ROOT, "  searching    %d queries (depth %d%s) in %.1f s: %.1f queries/s%n",
                search.queries(), search.depth(), search.ignoreIdenticalIds() ? ", each query's own id left out" : "",
                search.seconds(), search.queriesPerSecond());
        if (clicks != null) {
            out.printf(Locale.ROOT, "  clicks       %d %s queries x %d sessions via %s%n",
                    clicks.queries(), clicks.split(), clicks.sessions(), clicks.searchUrl());
            for (ClickSimulator.RoundReport r : clicks.rounds()) {
                out.println("    " + r.describe());
            }
        }
        if (training != null) {
            out.printf(Locale.ROOT, "  training     %s mode, test split after each round:%n",
                    training.isEmpty() ? "?" : training.get(0).mode());
            int cutoff = Integer.parseInt(metrics.keySet().iterator().next().substring("ndcg@".length()));
            for (TrainingRound t : training) {
                for (Step step : t.steps()) {
                    out.println("    " + step.describe(t.round(), cutoff));
                }
                out.println("    " + t.describe(cutoff));
            }
        }
    }
}
