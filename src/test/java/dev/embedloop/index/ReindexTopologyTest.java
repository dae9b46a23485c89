package dev.embedloop.index;


import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.qdrant.CollectionControl;
import dev.embedloop.qdrant.VectorSink;
import dev.embedloop.testing.FakeEncoder;
import dev.embedloop.testing.InMemorySink;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The re-index behind the alias, driven through the indexing topology with a fake Qdrant: a fill
 * copies stored base vectors (no encoding) in steps, writes during the fill reach both collections,
 * the alias moves only when the new collection is complete, rollback and retention.
 */
class ReindexTopologyTest {

    private static final String BASE = FakeEncoder.MODEL.version();

    private ReindexHarness harness;
    private FakeEncoder encoder;
    private FakeCollections qdrant;
    private IndexStats stats;
    private AtomicLong now;
    private Map<String, LinearAdapter> adapters;
    private IndexTargets targets;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> documents;
    private ModelLineage lineage = ModelLineage.base(BASE);

    @BeforeEach
    void start() {
        harness = new ReindexHarness("reindex-test", lineage);
        encoder = harness.encoder;
        qdrant = harness.qdrant;
        stats = harness.stats;
        now = harness.now;
        adapters = harness.adapters;
        targets = harness.targets;
        driver = harness.driver;
        documents = harness.documents;
    }

    @AfterEach
    void close() {
        harness.close();
    }

    @Test
    void shouldFillTheNewCollectionFromStoredVectorsThenMoveTheAlias() {
        String baseCollection = "docs__" + BASE;
        for (int i = 0; i < 5; i++) {
            publish("d" + i, "document number " + i + " has words");
        }
        assertThat(qdrant.alias).isEqualTo(baseCollection);
        int points = qdrant.sink(baseCollection).size();
        assertThat(points).isGreaterThan(5); // several chunks per document
        int encoded = encoder.encodedTexts();

        LinearAdapter w = scaled(2f);
        promote("v1", w);
        String v1 = "docs__v1";
        assertThat(qdrant.collections).containsKey(v1);

        // one step copies 3 points: the alias stays until every point is there
        driver.advanceWallClockTime(Duration.ofMillis(100));
        assertThat(qdrant.sink(v1).size()).isEqualTo(3);
        assertThat(qdrant.alias).isEqualTo(baseCollection);

        // a document arriving during the fill goes to both collections
        publish("late", "a late document");
        assertThat(qdrant.sink(baseCollection).pointsOf("late")).isNotEmpty();
        assertThat(qdrant.sink(v1).pointsOf("late")).isNotEmpty();

        for (int step = 0; step < 20 && !qdrant.alias.equals(v1); step++) {
            driver.advanceWallClockTime(Duration.ofMillis(100));
            if (!qdrant.alias.equals(v1)) {
                assertThat(qdrant.sink(v1).size()).isLessThanOrEqualTo(qdrant.sink(baseCollection).size());
            }
        }
        assertThat(qdrant.alias).isEqualTo(v1);
        assertThat(qdrant.sink(v1).size()).isEqualTo(qdrant.sink(baseCollection).size());
        // only the late document was encoded: the fill used stored base vectors through the adapter
        assertThat(encoder.encodedTexts() - encoded).isEqualTo(qdrant.sink(v1).pointsOf("late").size());
        ChunkPoint copied = qdrant.sink(v1).pointsOf("d2").get(0);
        ChunkPoint original = qdrant.sink(baseCollection).pointsOf("d2").get(0);
        assertThat(copied.vector()).isEqualTo(w.applyDocument(original.vector()));
        assertThat(copied.modelVersion()).isEqualTo("v1");
        assertThat(copied.text()).isEqualTo(original.text());
        assertThat(stats.reindexes()).isEqualTo(1);
        assertThat(targets.targets()).extracting(IndexTargets.Target::role)
                .containsExactlyInAnyOrder(IndexTargets.Role.LIVE, IndexTargets.Role.RETAINED);

        // the retained collection is kept in step: updates and deletes reach it
        publish("d0", "document zero rewritten entirely");
        deleteDoc("d1");
        assertThat(qdrant.sink(baseCollection).pointsOf("d1")).isEmpty();
        assertThat(qdrant.sink(v1).pointsOf("d1")).isEmpty();
        assertThat(qdrant.sink(baseCollection).pointsOf("d0").get(0).text()).contains("zero");

        // rollback: the alias moves back at once, no fill
        long copiedBefore = stats.pointsCopied();
        lineage = lineage.with(lineage.live().orElseThrow().rolledBack());
        targets.onLineage(lineage);
        assertThat(qdrant.alias).isEqualTo(baseCollection);
        driver.advanceWallClockTime(Duration.ofMillis(100));
        assertThat(stats.pointsCopied()).isEqualTo(copiedBefore);

        // retention: the rolled-away collection is dropped when its time is over
        now.addAndGet(Duration.ofMinutes(11).toMillis());
        driver.advanceWallClockTime(Duration.ofMillis(100));
        assertThat(qdrant.collections).doesNotContainKey(v1);
        assertThat(targets.targets()).extracting(IndexTargets.Target::collection).containsExactly(baseCollection);
    }

    @Test
    void shouldCopyAgainWhenTheNewCollectionIsShortAndAbandonAFillThatIsRolledBack() {
        for (int i = 0; i < 4; i++) {
            publish("d" + i, "doc " + i);
        }
        promote("v1", scaled(3f));
        // Qdrant lost points of the new collection behind our back: the count check catches it
        driver.advanceWallClockTime(Duration.ofMillis(100));
        qdrant.sink("docs__v1").deleteDocument("d0");
        for (int step = 0; step < 10; step++) {
            driver.advanceWallClockTime(Duration.ofMillis(100));
        }
        assertThat(qdrant.alias).isEqualTo("docs__v1");
        assertThat(qdrant.sink("docs__v1").pointsOf("d0")).isNotEmpty();

        promote("v2", scaled(4f));
        assertThat(qdrant.collections).containsKey("docs__v2");
        lineage = lineage.with(lineage.live().orElseThrow().rolledBack());
        targets.onLineage(lineage);
        assertThat(qdrant.collections).doesNotContainKey("docs__v2");
        assertThat(qdrant.alias).isEqualTo("docs__v1");
    }

    @Test
    void shouldKeepTheRetainedCollectionAcrossARestartSoThatRollbackStaysOneStep() {
        for (int i = 0; i < 3; i++) {
            publish("d" + i, "doc " + i);
        }
        promote("v1", scaled(2f));
        for (int step = 0; step < 10 && !"docs__v1".equals(qdrant.alias); step++) {
            driver.advanceWallClockTime(Duration.ofMillis(100));
        }
        assertThat(qdrant.alias).isEqualTo("docs__v1");

        // the indexer restarts: a new targets registry over the same Qdrant and lineage
        IndexTargets restarted = new IndexTargets(qdrant, Duration.ofMinutes(10), java.time.Clock.systemUTC(),
                (l, version) -> Optional.ofNullable(adapters.get(version)), new IndexStats());
        restarted.start(lineage);
        assertThat(restarted.targets()).extracting(IndexTargets.Target::collection, IndexTargets.Target::role)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("docs__v1", IndexTargets.Role.LIVE),
                        org.assertj.core.groups.Tuple.tuple("docs__" + BASE, IndexTargets.Role.RETAINED));
        lineage = lineage.with(lineage.live().orElseThrow().rolledBack());
        restarted.onLineage(lineage);
        assertThat(qdrant.alias).isEqualTo("docs__" + BASE);
    }

    private void promote(String version, LinearAdapter adapter) {
        adapters.put(version, adapter);
        lineage = lineage.with(new ModelUpdate(version, "/models/" + version, ModelUpdate.SYMMETRIC,
                lineage.liveVersion(), null, BASE, version, now.incrementAndGet(), ModelUpdate.PROMOTED));
        targets.onLineage(lineage);
    }

    private LinearAdapter scaled(float factor) {
        return ReindexHarness.scaled(factor);
    }

    private void publish(String id, String text) {
        harness.publish(id, text);
    }

    private void deleteDoc(String id) {
        harness.delete(id);
    }

    /** Collections in memory, one {@link InMemorySink} each, and one alias. */
    static class FakeCollections implements CollectionControl {
        final Map<String, InMemorySink> collections = new LinkedHashMap<>();
        String alias;

        @Override
        public String alias() {
            return "docs";
        }

        InMemorySink sink(String collection) {
            return collections.get(collection);
        }

        @Override
        public VectorSink open(String collection) {
            return collections.computeIfAbsent(collection, c -> new InMemorySink());
        }

        @Override
        public boolean exists(String collection) {
            return collections.containsKey(collection);
        }

        @Override
        public long count(String collection) {
            return collections.containsKey(collection) ? collections.get(collection).size() : 0;
        }

        @Override
        public Optional<String> aliasTarget() {
            return Optional.ofNullable(alias);
        }

        @Override
        public void pointAlias(String collection) {
            alias = collection;
        }

        @Override
        public void drop(String collection) {
            collections.remove(collection);
        }
    }
}
