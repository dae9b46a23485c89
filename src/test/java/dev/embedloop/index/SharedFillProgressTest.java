package dev.embedloop.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.testing.FakeEncoder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Several indexer instances of one alias, each an {@link IndexTargets} over the same collections
 * and the same shared {@link FillProgress}: the alias moves once, when every partition of the
 * documents topic is filled by whichever instance owns it; a partition whose owner goes away
 * mid-fill is filled by its next owner; retention and drops with several writers.
 */
class SharedFillProgressTest {

    private static final String BASE = FakeEncoder.MODEL.version();
    private static final int PARTITIONS = 3;

    private final CountingCollections qdrant = new CountingCollections();
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };
    private final InMemoryFillProgress progress = new InMemoryFillProgress(PARTITIONS);
    private ModelLineage lineage = ModelLineage.base(BASE);
    private long epoch = -1;
    private final List<IndexTargets> instances = new ArrayList<>();

    @BeforeEach
    void startThreeInstances() {
        for (int i = 0; i < 3; i++) {
            IndexTargets t = new IndexTargets(qdrant, Duration.ofMinutes(10), clock,
                    (l, v) -> v.equals(BASE) ? Optional.empty() : Optional.of(LinearAdapter.identity(FakeEncoder.MODEL.dimension())),
                    new IndexStats(), progress);
            t.start(lineage, epoch);
            t.register("0_" + i, i); // instance i owns partition i
            instances.add(t);
        }
        // the live collection holds one point per partition
        for (int p = 0; p < PARTITIONS; p++) {
            qdrant.open("docs__" + BASE).upsert(List.of(point("d" + p)));
        }
        qdrant.aliasMoves = 0;
    }

    @Test
    void shouldMoveTheAliasOnceWhenEveryPartitionIsFilledByItsOwner() {
        promote("v1", 7);
        String fill = "docs__v1@7";
        assertThat(instances).allSatisfy(t -> assertThat(role(t, "docs__v1")).isEqualTo(IndexTargets.Role.FILLING));

        // partitions 1 and 2 are done; the owner of partition 0 is not: nothing moves
        copyAndReport(1, 1);
        copyAndReport(2, 2);
        instances.forEach(IndexTargets::advance);
        assertThat(qdrant.alias).isEqualTo("docs__" + BASE);
        assertThat(progress.view().donePartitions(fill)).containsExactly(1, 2);

        copyAndReport(0, 0);
        instances.forEach(IndexTargets::advance);
        assertThat(qdrant.alias).isEqualTo("docs__v1");
        assertThat(qdrant.aliasMoves).isEqualTo(1);
        assertThat(progress.view().moved(fill)).isPresent();
        assertThat(instances).allSatisfy(t -> {
            assertThat(role(t, "docs__v1")).isEqualTo(IndexTargets.Role.LIVE);
            assertThat(role(t, "docs__" + BASE)).isEqualTo(IndexTargets.Role.RETAINED);
        });
        // ticks after the move change nothing
        instances.forEach(IndexTargets::advance);
        assertThat(qdrant.aliasMoves).isEqualTo(1);
    }

    @Test
    void shouldFillAPartitionWhoseOwnerWentAwayMidFillOnItsNextOwner() {
        promote("v1", 7);
        copyAndReport(0, 0);
        copyAndReport(2, 2);
        // instance 1 dies before partition 1 is done; a fourth instance takes partition 1 over
        instances.get(1).unregister("0_1");
        IndexTargets added = new IndexTargets(qdrant, Duration.ofMinutes(10), clock,
                (l, v) -> v.equals(BASE) ? Optional.empty() : Optional.of(LinearAdapter.identity(FakeEncoder.MODEL.dimension())),
                new IndexStats(), progress);
        added.start(lineage, epoch);
        added.register("0_1", 1);
        IndexTargets.Target target = target(added, "docs__v1");
        assertThat(target.role()).isEqualTo(IndexTargets.Role.FILLING);
        assertThat(target.fill()).isEqualTo("docs__v1@7"); // the same fill as the other instances
        assertThat(added.fillDone(target, 1)).isFalse();
        assertThat(added.fillDone(target, 2)).isTrue(); // done by another instance

        instances.get(0).advance();
        assertThat(qdrant.alias).isEqualTo("docs__" + BASE);
        // the dead instance's late report is ignored: it no longer owns the partition
        instances.get(1).fillDone("0_1", 1, "docs__v1", 0, 1);
        assertThat(progress.view().isDone("docs__v1@7", 1)).isFalse();

        qdrant.open("docs__v1").upsert(List.of(point("d1")));
        added.fillDone("0_1", 1, "docs__v1", target.generation(), 1);
        instances.get(0).advance();
        assertThat(qdrant.alias).isEqualTo("docs__v1");
        assertThat(qdrant.aliasMoves).isEqualTo(1);
        added.advance();
        assertThat(role(added, "docs__v1")).isEqualTo(IndexTargets.Role.LIVE);
    }

    @Test
    void shouldStartANewRoundOnEveryInstanceWhenTheNewCollectionIsShort() {
        promote("v1", 7);
        for (int p = 0; p < PARTITIONS; p++) {
            instances.get(p).fillDone("0_" + p, p, "docs__v1", 0, 0); // reported done, nothing copied
        }
        instances.get(0).advance();
        assertThat(qdrant.alias).isEqualTo("docs__" + BASE);
        assertThat(progress.view().round("docs__v1@7")).isEqualTo(1);
        instances.forEach(IndexTargets::advance);
        assertThat(instances).allSatisfy(t -> assertThat(target(t, "docs__v1").generation()).isEqualTo(1));
        assertThat(progress.view().donePartitions("docs__v1@7")).isEmpty();

        for (int p = 0; p < PARTITIONS; p++) {
            copyAndReport(p, p);
        }
        instances.get(0).advance();
        assertThat(qdrant.alias).isEqualTo("docs__v1");
    }

    @Test
    void shouldStopWritingAtTheEndOfRetentionEverywhereAndLetOnlyTheOwnerOfPartitionZeroDropLater() {
        promote("v1", 7);
        for (int p = 0; p < PARTITIONS; p++) {
            copyAndReport(p, p);
        }
        instances.forEach(IndexTargets::advance);
        assertThat(qdrant.alias).isEqualTo("docs__v1");

        now.addAndGet(Duration.ofMinutes(10).toMillis() + 1);
        instances.forEach(IndexTargets::expire);
        assertThat(instances).allSatisfy(t -> assertThat(target(t, "docs__" + BASE)).isNull());
        assertThat(qdrant.collections).containsKey("docs__" + BASE); // others may still be finishing a write

        now.addAndGet(IndexTargets.DROP_GRACE.toMillis());
        instances.get(1).expire();
        instances.get(2).expire();
        assertThat(qdrant.collections).containsKey("docs__" + BASE);
        instances.get(0).expire();
        assertThat(qdrant.collections).doesNotContainKey("docs__" + BASE);
    }

    @Test
    void shouldRollBackOnEveryInstanceAndNameALaterFillOfTheSameCollectionAnew() {
        promote("v1", 7);
        for (int p = 0; p < PARTITIONS; p++) {
            copyAndReport(p, p);
        }
        instances.forEach(IndexTargets::advance);
        lineage = lineage.with(lineage.live().orElseThrow().rolledBack());
        epoch = 9;
        instances.forEach(t -> t.onLineage(lineage, epoch));
        assertThat(qdrant.alias).isEqualTo("docs__" + BASE);
        assertThat(qdrant.aliasMoves).isEqualTo(2); // there and back; the other instances found it there
        assertThat(instances).allSatisfy(t -> assertThat(role(t, "docs__" + BASE)).isEqualTo(IndexTargets.Role.LIVE));
    }

    @Test
    void shouldStartWhenAnotherInstanceCreatesTheCollectionAndAliasAtTheSameMoment() {
        CountingCollections racing = new CountingCollections() {
            boolean lost;

            @Override
            public dev.embedloop.qdrant.VectorSink open(String collection) {
                if (!lost && !collections.containsKey(collection)) {
                    lost = true; // another instance created it between our check and our create
                    super.open(collection);
                    throw new IllegalStateException("create " + collection + " failed: ALREADY_EXISTS");
                }
                return super.open(collection);
            }

            @Override
            public void pointAlias(String collection) {
                if (alias == null) {
                    super.pointAlias(collection);
                    throw new IllegalStateException("alias already exists");
                }
                super.pointAlias(collection);
            }
        };
        IndexTargets t = new IndexTargets(racing, Duration.ofMinutes(10), clock, (l, v) -> Optional.empty(),
                new IndexStats(), progress);
        t.start(lineage, epoch);
        assertThat(role(t, "docs__" + BASE)).isEqualTo(IndexTargets.Role.LIVE);
        assertThat(racing.alias).isEqualTo("docs__" + BASE);
    }

    @Test
    void shouldKeepOnlyTheLatestRecordPerPartitionAndRoundTripThroughJson() {
        var serde = dev.embedloop.events.JsonSerde.of(FillProgressRecord.class);
        FillProgressRecord done = FillProgressRecord.done("docs__v1@7", 0, 4, 120, 5, "host/1");
        assertThat(done.key()).isEqualTo("docs__v1@7/p4");
        assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", done))).isEqualTo(done);
        FillProgressView view = FillProgressView.EMPTY.with(done)
                .with(FillProgressRecord.round("docs__v1@7", 1, 6, "host/2"));
        assertThat(view.isDone("docs__v1@7", 4)).as("a done record of an earlier round").isFalse();
        view = view.with(FillProgressRecord.done("docs__v1@7", 1, 4, 120, 7, "host/3"));
        assertThat(view.doneRecord("docs__v1@7", 4).map(FillProgressRecord::instance)).contains("host/3");
        assertThat(view.isDone("docs__v1@8", 4)).as("another fill of the same collection").isFalse();
    }

    @Test
    void shouldFillTheShadowOnEveryInstanceThenLetThePromotionCompleteTheSameFill() {
        ModelUpdate candidate = underTest("v1");
        String fill = "docs__v1" + IndexTargets.SHADOW_EPOCH + candidate.promotedAt();
        assertThat(instances).allSatisfy(t -> {
            assertThat(role(t, "docs__v1")).isEqualTo(IndexTargets.Role.SHADOW);
            assertThat(target(t, "docs__v1").fill()).isEqualTo(fill);
        });
        for (int p = 0; p < PARTITIONS; p++) {
            copyAndReport(p, p);
        }
        instances.forEach(IndexTargets::advance);
        assertThat(progress.view().allDone(fill, PARTITIONS)).isTrue();
        assertThat(qdrant.aliasMoves).isZero();
        assertThat(instances).allSatisfy(t -> assertThat(role(t, "docs__v1")).isEqualTo(IndexTargets.Role.SHADOW));

        // promoted: a later record of the same version (another model-updates offset)
        lineage = lineage.with(candidate.withStatus(ModelUpdate.PROMOTED, now.incrementAndGet()));
        epoch = 12;
        instances.forEach(t -> t.onLineage(lineage, epoch));
        assertThat(qdrant.alias).isEqualTo("docs__v1");
        assertThat(qdrant.aliasMoves).isEqualTo(1);
        assertThat(progress.view().moved(fill)).isPresent();
        instances.forEach(IndexTargets::advance);
        assertThat(instances).allSatisfy(t -> {
            assertThat(role(t, "docs__v1")).isEqualTo(IndexTargets.Role.LIVE);
            assertThat(role(t, "docs__" + BASE)).isEqualTo(IndexTargets.Role.RETAINED);
        });
    }

    @Test
    void shouldTakeTheShadowUpAgainOnRestartAndContinueItOnAnInstanceStartedAfterThePromotion() {
        ModelUpdate candidate = underTest("v1");
        String fill = "docs__v1" + IndexTargets.SHADOW_EPOCH + candidate.promotedAt();
        copyAndReport(1, 1);
        copyAndReport(2, 2);

        // instance 2 restarts while the candidate is under test: the same shadow, its partition stays done
        instances.get(2).unregister("0_2");
        IndexTargets restarted = newInstance();
        restarted.start(lineage, epoch);
        restarted.register("0_2", 2);
        instances.set(2, restarted);
        IndexTargets.Target shadow = target(restarted, "docs__v1");
        assertThat(shadow.role()).isEqualTo(IndexTargets.Role.SHADOW);
        assertThat(shadow.fill()).isEqualTo(fill);
        assertThat(restarted.fillDone(shadow, 2)).isTrue();
        assertThat(restarted.fillDone(shadow, 0)).isFalse();

        // promoted; then instance 1 restarts: it never saw the shadow, yet continues its fill
        lineage = lineage.with(candidate.withStatus(ModelUpdate.PROMOTED, now.incrementAndGet()));
        epoch = 12;
        instances.forEach(t -> t.onLineage(lineage, epoch));
        assertThat(qdrant.aliasMoves).isZero(); // partition 0 is not done yet
        instances.get(1).unregister("0_1");
        IndexTargets late = newInstance();
        late.start(lineage, epoch);
        late.register("0_1", 1);
        instances.set(1, late);
        IndexTargets.Target filling = target(late, "docs__v1");
        assertThat(filling.role()).isEqualTo(IndexTargets.Role.FILLING);
        assertThat(filling.fill()).isEqualTo(fill);
        assertThat(late.fillDone(filling, 1)).isTrue();

        copyAndReport(0, 0);
        instances.forEach(IndexTargets::advance);
        assertThat(qdrant.alias).isEqualTo("docs__v1");
        assertThat(qdrant.aliasMoves).isEqualTo(1);
        assertThat(instances).allSatisfy(t -> assertThat(role(t, "docs__v1")).isEqualTo(IndexTargets.Role.LIVE));
    }

    @Test
    void shouldStopWritingAnAbandonedShadowEverywhereAndLetOnlyTheOwnerOfPartitionZeroDropIt() {
        ModelUpdate candidate = underTest("v1");
        String fill = "docs__v1" + IndexTargets.SHADOW_EPOCH + candidate.promotedAt();
        copyAndReport(0, 0);
        lineage = lineage.with(candidate.withStatus(ModelUpdate.ABANDONED, now.incrementAndGet()));
        instances.forEach(t -> t.onLineage(lineage, epoch));
        assertThat(instances).allSatisfy(t -> assertThat(target(t, "docs__v1")).isNull());
        // no longer kept in step: its done partitions no longer count for anyone
        assertThat(progress.view().isDone(fill, 0)).isFalse();
        assertThat(progress.view().round(fill)).isEqualTo(1);
        assertThat(qdrant.collections).containsKey("docs__v1"); // others may still be finishing a write

        // an instance starting meanwhile neither writes to it nor keeps it as retained
        IndexTargets added = newInstance();
        added.start(lineage, epoch);
        assertThat(target(added, "docs__v1")).isNull();

        now.addAndGet(IndexTargets.DROP_GRACE.toMillis());
        instances.get(1).expire();
        instances.get(2).expire();
        assertThat(qdrant.collections).containsKey("docs__v1");
        instances.get(0).expire();
        assertThat(qdrant.collections).doesNotContainKey("docs__v1");
        assertThat(qdrant.alias).isEqualTo("docs__" + BASE);
    }

    private ModelUpdate underTest(String version) {
        ModelUpdate candidate = new ModelUpdate(version, "/models/" + version, ModelUpdate.SYMMETRIC,
                lineage.liveVersion(), null, BASE, version, now.incrementAndGet(), ModelUpdate.UNDER_TEST);
        lineage = lineage.with(candidate);
        instances.forEach(t -> t.onLineage(lineage, epoch)); // the live document version, and so the epoch, stay
        return candidate;
    }

    private IndexTargets newInstance() {
        return new IndexTargets(qdrant, Duration.ofMinutes(10), clock,
                (l, v) -> v.equals(BASE) ? Optional.empty() : Optional.of(LinearAdapter.identity(FakeEncoder.MODEL.dimension())),
                new IndexStats(), progress);
    }

    private void promote(String version, long offset) {
        lineage = lineage.with(new ModelUpdate(version, "/models/" + version, ModelUpdate.SYMMETRIC,
                lineage.liveVersion(), null, BASE, version, now.incrementAndGet(), ModelUpdate.PROMOTED));
        epoch = offset;
        instances.forEach(t -> t.onLineage(lineage, epoch));
    }

    /** Instance {@code i} copies partition {@code p}'s one point and reports it. */
    private void copyAndReport(int i, int p) {
        qdrant.open("docs__v1").upsert(List.of(point("d" + p)));
        IndexTargets t = instances.get(i);
        t.fillDone("0_" + p, p, "docs__v1", target(t, "docs__v1").generation(), 1);
    }

    private static IndexTargets.Target target(IndexTargets t, String collection) {
        return t.targets().stream().filter(x -> x.collection().equals(collection)).findFirst().orElse(null);
    }

    private static IndexTargets.Role role(IndexTargets t, String collection) {
        IndexTargets.Target x = target(t, collection);
        return x == null ? null : x.role();
    }

    private static ChunkPoint point(String doc) {
        return new ChunkPoint(doc, 0, new float[FakeEncoder.MODEL.dimension()], null, null, "v", "h", 1L, null);
    }

    /** The fake collections, counting the alias moves that change its target. */
    static class CountingCollections extends ReindexTopologyTest.FakeCollections {
        int aliasMoves;

        @Override
        public void pointAlias(String collection) {
            if (!collection.equals(alias)) {
                aliasMoves++;
            }
            super.pointAlias(collection);
        }
    }
}
