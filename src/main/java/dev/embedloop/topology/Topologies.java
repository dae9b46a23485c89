package dev.embedloop.topology;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.feedback.FeedbackSettings;
import dev.embedloop.feedback.FeedbackStats;
import dev.embedloop.feedback.FeedbackTopology;
import dev.embedloop.index.IndexSettings;
import dev.embedloop.index.IndexStats;
import dev.embedloop.index.IndexTargets;
import dev.embedloop.index.IndexingTopology;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The descriptions of every Embedloop topology, as committed under {@code topology/} at the
 * repository root. A test compares them with the code; {@code embedloop topology --write topology}
 * regenerates them.
 */
public final class Topologies {

    private Topologies() {}

    /**
     * file name → {@code Topology.describe()} text, for the given configuration's topic names. The
     * processors are never instantiated here, so no encoder or sink is needed.
     */
    public static Map<String, String> describe(EmbedloopConfig cfg) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("indexing.txt",
                IndexingTopology.build(IndexSettings.from(cfg), null, null, (IndexTargets) null, new IndexStats()).describe().toString());
        out.put("feedback.txt", FeedbackTopology.build(FeedbackSettings.from(cfg), new FeedbackStats()).describe().toString());
        return out;
    }

    /** Writes every description into {@code dir}. */
    public static void write(EmbedloopConfig cfg, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, String> e : describe(cfg).entrySet()) {
            Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
        }
    }
}
