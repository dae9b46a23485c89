package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.eval.ClickModel;
import dev.embedloop.eval.EvalReport;
import dev.embedloop.eval.EvalSettings;
import dev.embedloop.eval.Evaluation;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {
            "Measure retrieval quality on a BEIR-layout data set (corpus.jsonl, queries.jsonl, qrels/<split>.tsv): "
                    + "publish the corpus as document events, wait until it is indexed, run every judged query of the "
                    + "split through the search path and print nDCG@k, recall@100 and MRR@k (trec_eval definitions, "
                    + "linear gains) with counts and timings; the results also go to a JSON file.",
            "By default everything runs in-process (embedded Kafka, Qdrant local mode, an indexer with a temporary "
                    + "state directory); --external uses the configured servers and your running 'index' process.",
            "--simulate-clicks then sends simulated users through the search service's HTTP API: every query of "
                    + "--click-split, --sessions times per round, examining rank r with probability (1/r)^eta and "
                    + "clicking the results judged relevant."
        })
final class EvalCommand implements Callable<Integer> {

    private static final List<String> CLICK_OPTIONS = List.of(
            "--rounds", "--sessions", "--click-split", "--eta", "--dwell-ms", "--seed", "--search-url", "--train-mode",
            "--no-train");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Option(names = "--dataset", required = true, paramLabel = "DIR",
            description = "BEIR-layout directory with corpus.jsonl, queries.jsonl and qrels/<split>.tsv.")
    Path dataset;

    @Option(names = "--split", defaultValue = "test", paramLabel = "NAME",
            description = "Judgements to evaluate, qrels/NAME.tsv (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--no-chunking",
            description = "Index each document as its first model window only (chunk.enabled=false; embedded mode).")
    boolean noChunking;

    @Option(names = {"-k", "--k"}, defaultValue = "10", paramLabel = "K",
            description = "Cutoff of nDCG@K and MRR@K (default ${DEFAULT-VALUE}); results are fetched to depth max(100, K).")
    int k;

    @Option(names = {"-o", "--output"}, defaultValue = "eval-results.json", paramLabel = "FILE",
            description = "Where the JSON results go (default ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--external",
            description = "Use the configured Kafka and Qdrant; run 'embedloop index' yourself. The run publishes the "
                    + "corpus and waits until every document is in the collection alias (use a dedicated qdrant.collection).")
    boolean external;

    @Option(names = "--no-publish",
            description = "With --external: the corpus is already indexed, do not publish it again.")
    boolean noPublish;

    @Option(names = "--timeout", defaultValue = "3600", paramLabel = "SECONDS",
            description = "Give up when indexing takes longer (default ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Option(names = "--settle", defaultValue = "30", paramLabel = "SECONDS",
            description = "With --external: go on when the document count has not moved for this long "
                    + "(dead-lettered documents never arrive; default ${DEFAULT-VALUE}).")
    long settleSeconds;

    @Option(names = "--ignore-identical-ids",
            description = "Leave each query's own id out of its results before scoring, as BEIR's and MTEB's evaluation "
                    + "do for data sets whose queries are also corpus documents (ArguAna, Quora).")
    boolean ignoreIdenticalIds;

    @Option(names = "--simulate-clicks",
            description = "After measuring, simulate users searching and clicking through the search service's HTTP API.")
    boolean simulateClicks;

    @Option(names = "--rounds", defaultValue = "3", paramLabel = "N", description = "Click rounds (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--sessions", defaultValue = "5", paramLabel = "S",
            description = "Sessions per query and round (default ${DEFAULT-VALUE}).")
    int sessions;

    @Option(names = "--click-split", defaultValue = "train", paramLabel = "NAME",
            description = "Judgements whose queries the simulated users type and whose relevant documents they click "
                    + "(default ${DEFAULT-VALUE}).")
    String clickSplit;

    @Option(names = "--eta", defaultValue = "" + ClickModel.DEFAULT_ETA, paramLabel = "ETA",
            description = "Position bias: rank r is examined with probability (1/r)^ETA (default ${DEFAULT-VALUE}).")
    double eta;

    @Option(names = "--dwell-ms", defaultValue = "" + ClickModel.DEFAULT_DWELL_MS, paramLabel = "MS",
            description = "Dwell time reported with each click (default ${DEFAULT-VALUE}).")
    long dwellMs;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "SEED", description = "Seed of the simulated users (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--train-mode", paramLabel = "MODE",
            description = "With --simulate-clicks (embedded mode): run the trainer in this mode, symmetric or"
                    + " query-only (default: the train.mode setting): between session passes as its loop would"
                    + " (online decisions, a training every train.every-examples examples) and after every round;"
                    + " evaluate again after each round and each promotion.")
    String trainMode;

    @Option(names = "--no-train", description = "With --simulate-clicks: clicks only, no training between rounds.")
    boolean noTrain;

    @Option(names = "--search-url", paramLabel = "URL",
            description = "Search service to click through, e.g. http://localhost:8080 (default: the in-process one in "
                    + "the embedded mode, http://localhost:<search.port> with --external).")
    String searchUrl;

    @Override
    public Integer call() throws Exception {
        EvalSettings settings = settings();
        EmbedloopConfig cfg = config.load();
        EvalReport report = Evaluation.run(cfg, settings, System.err);
        System.out.println();
        report.print(System.out);
        System.out.println("  results written to " + settings.output().toAbsolutePath());
        return 0;
    }

    EvalSettings settings() {
        EvalSettings.Clicks clicks = null;
        if (simulateClicks) {
            String train = null;
            if (!noTrain && !external && searchUrl == null) {
                train = trainMode != null ? trainMode : config.load().values().get("train.mode");
            } else if (trainMode != null) {
                throw new IllegalArgumentException("--train-mode needs the embedded mode without --search-url and --no-train");
            }
            clicks = new EvalSettings.Clicks(clickSplit, rounds, sessions, eta, dwellMs, seed, searchUri(), train);
        } else {
            for (String option : CLICK_OPTIONS) {
                if (spec != null && spec.commandLine().getParseResult().hasMatchedOption(option)) {
                    throw new IllegalArgumentException(option + " needs --simulate-clicks");
                }
            }
        }
        return new EvalSettings(dataset, split, !noChunking, k, output, external, !noPublish,
                Duration.ofSeconds(timeoutSeconds), Duration.ofSeconds(settleSeconds), clicks, ignoreIdenticalIds);
    }

    private URI searchUri() {
        if (searchUrl == null) {
            return null;
        }
        try {
            URI uri = new URI(searchUrl);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException("--search-url must look like http://host:port, was '" + searchUrl + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--search-url is not a URL: " + e.getMessage());
        }
    }
}
