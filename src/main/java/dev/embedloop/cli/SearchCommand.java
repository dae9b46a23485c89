package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.Models;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.search.Hit;
import dev.embedloop.search.Searcher;
import io.qdrant.client.QdrantClient;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Encode a query with the live model and print the top documents from the collection alias.")
final class SearchCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Parameters(paramLabel = "QUERY", description = "The query text.")
    String query;

    @Option(names = {"-k", "--top"}, defaultValue = "10", description = "How many documents (default ${DEFAULT-VALUE}).")
    int k;

    @Override
    public Integer call() {
        if (k < 1 || k > 1000) {
            throw new IllegalArgumentException("-k must be between 1 and 1000, was " + k);
        }
        EmbedloopConfig cfg = config.load();
        try (Models models = Models.open(cfg); QdrantClient client = Qdrant.connect(cfg.qdrant());
                Searcher searcher = Searcher.following(cfg, models.encoder(), models.encoderOptions(), client)) {
            print(System.out, query, searcher.search(query, k));
        }
        return 0;
    }

    static void print(PrintStream out, String query, List<Hit> hits) {
        out.println("query: " + query);
        if (hits.isEmpty()) {
            out.println("  (no results)");
        }
        int rank = 1;
        for (Hit hit : hits) {
            out.printf(Locale.ROOT, "  %2d. %.4f  %-12s %s%n", rank++, hit.score(), hit.docId(),
                    hit.title() == null ? "" : hit.title());
        }
    }
}
