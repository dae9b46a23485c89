package dev.embedloop.lineage;

import dev.embedloop.qdrant.CollectionControl;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores the previous model in one step: marks the live model rolled back on
 * {@code model-updates} (the search service then encodes queries with the previous model's
 * encoder) and, when the previous document version's collection is still there (it is kept, and
 * kept in step, for {@code index.retention-ms}), points the alias back at it at once. When it is
 * gone, the indexer re-indexes into it from stored base vectors and moves the alias when done;
 * until then queries keep being encoded by the model matching the alias's collection.
 */
public final class Rollback {

    private static final Logger LOG = LoggerFactory.getLogger(Rollback.class);

    /**
     * What a rollback did.
     *
     * @param rolledBack the model that was live
     * @param live the model live now
     * @param collection the collection the alias must point at now
     * @param aliasMoved whether the alias was moved (false: already there, or the collection is gone)
     * @param collectionExists whether that collection exists
     */
    public record Result(String rolledBack, String live, String collection, boolean aliasMoved,
            boolean collectionExists) {}

    private Rollback() {}

    /**
     * @throws IllegalStateException when the base model is live (nothing to roll back)
     */
    public static Result run(ModelLineage lineage, Properties kafka, String topic, CollectionControl collections) {
        ModelUpdate live = lineage.live().orElseThrow(() -> new IllegalStateException(
                "nothing to roll back: the base model " + lineage.baseVersion() + " is live"));
        ModelUpdatesFollower.publish(kafka, topic, live.rolledBack());
        ModelLineage after = lineage.with(live.rolledBack());
        String collection = collections.collectionName(after.liveDocumentVersion());
        boolean exists = collections.exists(collection);
        Optional<String> current = collections.aliasTarget();
        boolean moved = false;
        if (exists && !current.map(collection::equals).orElse(false)) {
            collections.pointAlias(collection);
            moved = true;
        }
        LOG.info("rolled back {}; live model {}; alias {} -> {}{}", live.version(), after.liveVersion(),
                collections.alias(), collection, exists ? "" : " (collection gone: the indexer re-indexes into it)");
        return new Result(live.version(), after.liveVersion(), collection, moved, exists);
    }
}
