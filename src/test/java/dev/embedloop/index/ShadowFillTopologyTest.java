package dev.embedloop.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.testing.FakeEncoder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shadow collection of a symmetric candidate under test, driven through the indexing topology
 * with a fake Qdrant: filled from stored base vectors like a re-index and kept in step, but the
 * alias stays; a promotion completes it without a second copy; abandonment drops it; a query-only
 * candidate gets none.
 */
class ShadowFillTopologyTest {

    private static final String BASE = FakeEncoder.MODEL.version();
    private static final String LIVE = "docs__" + BASE;
    private static final String SHADOW = "docs__v1";

    private ReindexHarness harness;
    private FakeEncoder encoder;
    private ReindexTopologyTest.FakeCollections qdrant;
    private IndexStats stats;
    private AtomicLong now;
    private Map<String, LinearAdapter> adapters;
    private IndexTargets targets;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> documents;
    private ModelLineage lineage = ModelLineage.base(BASE);

    @BeforeEach
    void start() {
        harness = new ReindexHarness("shadow-test", lineage);
        encoder = harness.encoder;
        qdrant = harness.qdrant;
        stats = harness.stats;
        now = harness.now;
        adapters = harness.adapters;
        targets = harness.targets;
        driver = harness.driver;
        documents = harness.documents;
        for (int i = 0; i < 5; i++) {
            publish("d" + i, "document number " + i + " has words");
        }
    }

    @AfterEach
    void close() {
        harness.close();
    }

    @Test
    void shouldFillTheShadowOfASymmetricCandidateUnderTestAndKeepItInStepWithoutMovingTheAlias() {
        int encoded = encoder.encodedTexts();
        LinearAdapter w = scaled(2f);
        underTest("v1", ModelUpdate.SYMMETRIC, w);
        assertThat(qdrant.collections).containsKey(SHADOW);
        assertThat(role(SHADOW)).isEqualTo(IndexTargets.Role.SHADOW);

        tick(20);
        assertThat(qdrant.alias).isEqualTo(LIVE);
        assertThat(qdrant.sink(SHADOW).size()).isEqualTo(qdrant.sink(LIVE).size());
        assertThat(role(SHADOW)).isEqualTo(IndexTargets.Role.SHADOW);
        assertThat(stats.reindexes()).isZero();
        // copied through the candidate's document adapter, nothing encoded again
        assertThat(encoder.encodedTexts()).isEqualTo(encoded);
        ChunkPoint copied = qdrant.sink(SHADOW).pointsOf("d2").get(0);
        ChunkPoint original = qdrant.sink(LIVE).pointsOf("d2").get(0);
        assertThat(copied.vector()).isEqualTo(w.applyDocument(original.vector()));
        assertThat(copied.modelVersion()).isEqualTo("v1");

        // new documents, updates and deletes reach it while the candidate stays under test
        publish("late", "a late document");
        publish("d0", "document zero rewritten entirely");
        deleteDoc("d1");
        assertThat(qdrant.sink(SHADOW).pointsOf("late")).isNotEmpty();
        assertThat(qdrant.sink(SHADOW).pointsOf("d0").get(0).text()).contains("zero");
        assertThat(qdrant.sink(SHADOW).pointsOf("d1")).isEmpty();
        assertThat(qdrant.sink(SHADOW).size()).isEqualTo(qdrant.sink(LIVE).size());
        tick(5);
        assertThat(qdrant.alias).isEqualTo(LIVE);
    }

    @Test
    void shouldMoveTheAliasAtOnceWhenTheFilledShadowsCandidateIsPromotedWithoutASecondCopy() {
        int points = qdrant.sink(LIVE).size();
        underTest("v1", ModelUpdate.SYMMETRIC, scaled(2f));
        tick(20);
        assertThat(stats.pointsCopied()).isEqualTo(points);
        assertThat(qdrant.alias).isEqualTo(LIVE);

        promoteCandidate("v1");
        // no tick needed: the fill was complete
        assertThat(qdrant.alias).isEqualTo(SHADOW);
        assertThat(targets.targets()).extracting(IndexTargets.Target::collection, IndexTargets.Target::role)
                .containsExactlyInAnyOrder(tuple(SHADOW, IndexTargets.Role.LIVE), tuple(LIVE, IndexTargets.Role.RETAINED));
        tick(10);
        assertThat(stats.pointsCopied()).as("copy writes").isEqualTo(points);
        assertThat(stats.reindexes()).isEqualTo(1);
    }

    @Test
    void shouldContinueAShadowFillThatIsNotCompleteWhenItsCandidateIsPromoted() {
        int points = qdrant.sink(LIVE).size();
        assertThat(points).isGreaterThan(6);
        underTest("v1", ModelUpdate.SYMMETRIC, scaled(2f));
        tick(1);
        assertThat(qdrant.sink(SHADOW).size()).isEqualTo(3);

        promoteCandidate("v1");
        assertThat(qdrant.alias).isEqualTo(LIVE);
        assertThat(role(SHADOW)).isEqualTo(IndexTargets.Role.FILLING);
        for (int step = 0; step < 20 && !SHADOW.equals(qdrant.alias); step++) {
            tick(1);
        }
        assertThat(qdrant.alias).isEqualTo(SHADOW);
        assertThat(qdrant.sink(SHADOW).size()).isEqualTo(points);
        assertThat(stats.pointsCopied()).as("every stored point copied once").isEqualTo(points);
    }

    @Test
    void shouldStopWritingAndDropTheShadowWhenItsCandidateIsAbandoned() {
        underTest("v1", ModelUpdate.SYMMETRIC, scaled(2f));
        tick(20);
        assertThat(qdrant.collections).containsKey(SHADOW);

        lineage = lineage.with(lineage.get("v1").orElseThrow().withStatus(ModelUpdate.ABANDONED, now.incrementAndGet()));
        targets.onLineage(lineage);
        assertThat(targets.targets()).extracting(IndexTargets.Target::collection).containsExactly(LIVE);
        assertThat(qdrant.collections).doesNotContainKey(SHADOW); // one partition: nobody else writes to it
        assertThat(qdrant.alias).isEqualTo(LIVE);
        publish("late", "a late document");
        assertThat(qdrant.collections).doesNotContainKey(SHADOW);
    }

    @Test
    void shouldReplaceTheShadowWhenAnotherCandidateReplacesItAndDropItWhenTheLiveModelChanges() {
        underTest("v1", ModelUpdate.SYMMETRIC, scaled(2f));
        tick(1);
        underTest("v2", ModelUpdate.SYMMETRIC, scaled(3f));
        assertThat(qdrant.collections).doesNotContainKey(SHADOW).containsKey("docs__v2");
        assertThat(role("docs__v2")).isEqualTo(IndexTargets.Role.SHADOW);

        // a query-only model is promoted meanwhile: v2 was tested against a model that is no longer live
        adapters.put("q1", scaled(1f));
        lineage = lineage.with(new ModelUpdate("q1", "/models/q1", ModelUpdate.QUERY_ONLY, BASE, null, BASE, BASE,
                now.incrementAndGet(), ModelUpdate.PROMOTED));
        targets.onLineage(lineage);
        assertThat(qdrant.collections).doesNotContainKey("docs__v2");
        assertThat(targets.targets()).extracting(IndexTargets.Target::collection).containsExactly(LIVE);
        assertThat(qdrant.alias).isEqualTo(LIVE);
    }

    @Test
    void shouldCreateNoShadowForAQueryOnlyCandidateUnderTest() {
        long copied = stats.pointsCopied();
        adapters.put("q1", scaled(2f));
        lineage = lineage.with(new ModelUpdate("q1", "/models/q1", ModelUpdate.QUERY_ONLY, BASE, null, BASE, BASE,
                now.incrementAndGet(), ModelUpdate.UNDER_TEST));
        targets.onLineage(lineage);
        assertThat(lineage.underTest()).isPresent();
        tick(5);
        assertThat(qdrant.collections).containsOnlyKeys(LIVE);
        assertThat(targets.targets()).extracting(IndexTargets.Target::collection).containsExactly(LIVE);
        assertThat(stats.pointsCopied()).isEqualTo(copied);
    }

    private void underTest(String version, String mode, LinearAdapter adapter) {
        adapters.put(version, adapter);
        String documentVersion = mode.equals(ModelUpdate.SYMMETRIC) ? version : lineage.liveDocumentVersion();
        lineage = lineage.with(new ModelUpdate(version, "/models/" + version, mode, lineage.liveVersion(), null, BASE,
                documentVersion, now.incrementAndGet(), ModelUpdate.UNDER_TEST));
        targets.onLineage(lineage);
    }

    private void promoteCandidate(String version) {
        lineage = lineage.with(lineage.get(version).orElseThrow().withStatus(ModelUpdate.PROMOTED, now.incrementAndGet()));
        assertThat(lineage.liveVersion()).isEqualTo(version);
        targets.onLineage(lineage);
    }

    private void tick(int times) {
        for (int i = 0; i < times; i++) {
            driver.advanceWallClockTime(Duration.ofMillis(100));
        }
    }

    private IndexTargets.Role role(String collection) {
        return targets.targets().stream().filter(t -> t.collection().equals(collection)).map(IndexTargets.Target::role)
                .findFirst().orElse(null);
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
}
