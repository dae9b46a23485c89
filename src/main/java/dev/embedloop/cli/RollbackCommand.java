package dev.embedloop.cli;

import dev.embedloop.config.ConfigException;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.lineage.ModelUpdatesFollower;
import dev.embedloop.lineage.Rollback;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.QdrantCollections;
import io.qdrant.client.QdrantClient;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Restore the previous model in one step: mark the live model rolled back on model-updates and"
                + " point the alias back at the previous collection (kept for index.retention-ms).")
final class RollbackCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        EmbedloopConfig cfg = config.load();
        ModelDirectory base;
        try {
            base = BundledModels.resolveModel(cfg.model());
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("model", "'" + cfg.model() + "' is neither a bundled model "
                    + BundledModels.NAMES + " nor a readable model directory: " + e.getMessage());
        }
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.modelTopics(cfg));
        try (ModelUpdatesFollower follower = ModelUpdatesFollower.startCaughtUp(cfg.kafkaProperties(),
                        cfg.topics().modelUpdates(), base.descriptor().version(), Duration.ofSeconds(60));
                QdrantClient client = Qdrant.connect(cfg.qdrant())) {
            EmbedloopConfig.Qdrant q = cfg.qdrant();
            Rollback.Result r = Rollback.run(follower.lineage(), cfg.kafkaProperties(), cfg.topics().modelUpdates(),
                    new QdrantCollections(client, q.collection(), base.descriptor().dimension(), q.timeout(), q.retryMax()));
            System.out.println("rolled back " + r.rolledBack() + "; live model is now " + r.live());
            System.out.println(r.collectionExists()
                    ? "alias " + q.collection() + " -> " + r.collection() + (r.aliasMoved() ? " (moved)" : " (already there)")
                    : "collection " + r.collection() + " is gone (retention over): the indexer re-indexes into it and"
                            + " moves the alias when done");
        }
        return 0;
    }
}
