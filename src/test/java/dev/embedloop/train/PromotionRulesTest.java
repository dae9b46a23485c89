package dev.embedloop.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.events.Json;
import dev.embedloop.events.JsonSerde;
import dev.embedloop.events.Queries;
import dev.embedloop.events.TrainingExample;
import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When the trainer may promote at all: pause, rollback, spacing (issue #15). */
class PromotionRulesTest {

    private static final TrainSettings.Promotion RULES = new TrainSettings.Promotion(Duration.ofMinutes(10), 50, 100);

    private static List<TrainingWindow.Entry> entries(int n, String servedBy, long fromTs) {
        List<TrainingWindow.Entry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new TrainingWindow.Entry(new TrainingExample("q" + i, new TrainingExample.Positive("d", "doc"),
                    List.of(), 1.0, servedBy, "id" + i, fromTs + i), 0, i));
        }
        return out;
    }

    private static ModelUpdate model(String version, long promotedAt) {
        return new ModelUpdate(version, "/m/" + version, ModelUpdate.SYMMETRIC, "fake-1", null, "fake-1", version,
                promotedAt, ModelUpdate.PROMOTED);
    }

    @Test
    void shouldAllowAFirstPromotionFromTheBase() {
        assertThat(TrainerService.holdReason(entries(10, "fake-1", 0), ModelLineage.base("fake-1"), RULES, 0)).isEmpty();
    }

    @Test
    void shouldHoldWhileTheLastPromotionIsRecentOrHasTooLittleFeedbackOfItsOwn() {
        ModelLineage l = ModelLineage.base("fake-1").with(model("fake-1-a1", 1_000_000));
        // too soon
        assertThat(TrainerService.holdReason(entries(500, "fake-1-a1", 1_000_001), l, RULES, 1_000_000 + 60_000))
                .get().asString().contains("promoted 60000 ms ago");
        // late enough, but the feedback comes from pages the base served (a burst straddling the promotion)
        long later = 1_000_000 + 700_000;
        assertThat(TrainerService.holdReason(entries(500, "fake-1", 1_000_001), l, RULES, later)).get().asString()
                .contains("0 examples from pages fake-1-a1 served");
        assertThat(TrainerService.holdReason(entries(60, "fake-1-a1", 1_000_001), l, RULES, later)).isEmpty();
    }

    @Test
    void shouldHoldAfterARollbackUntilNewFeedbackArrives() {
        ModelUpdate a1 = model("fake-1-a1", 1_000);
        ModelLineage l = ModelLineage.base("fake-1").with(a1).with(a1.rolledBack(50_000));
        assertThat(l.liveVersion()).isEqualTo("fake-1");
        List<TrainingWindow.Entry> old = entries(1000, "fake-1", 0); // the same window again: all before the rollback
        assertThat(TrainerService.holdReason(old, l, RULES, 10_000_000)).get().asString()
                .contains("rolled back fake-1-a1").contains("0 examples since");
        List<TrainingWindow.Entry> more = new ArrayList<>(old);
        more.addAll(entries(99, "fake-1", 60_000));
        assertThat(TrainerService.holdReason(more, l, RULES, 10_000_000)).isPresent();
        more.addAll(entries(1, "fake-1", 70_000));
        assertThat(TrainerService.holdReason(more, l, RULES, 10_000_000)).isEmpty();
    }

    @Test
    void shouldAbandonACandidatePutUnderTestBeforeARollbackThatMadeItsParentLiveAgain() {
        // c1 went under test against the base; a1 was promoted by hand (c1 no longer under test), then rolled back
        ModelUpdate c1 = model("fake-1-a2", 2_000).withStatus(ModelUpdate.UNDER_TEST, 2_000);
        ModelUpdate a1 = model("fake-1-a1", 3_000);
        ModelLineage promoted = ModelLineage.base("fake-1").with(c1).with(a1);
        assertThat(promoted.underTest()).as("not under test against a1").isEmpty();
        ModelLineage rolledBack = promoted.with(a1.rolledBack(50_000));
        assertThat(rolledBack.underTest()).as("under test against the base again").contains(c1);
        assertThat(TrainerService.putUnderTestBeforeRollback(c1, rolledBack)).get().asString()
                .startsWith(OnlineGate.ROLLED_BACK).contains("fake-1-a2").contains("before fake-1-a1 was rolled back");
        assertThat(TrainerStats.verdict(new OnlineGate.Decision(OnlineGate.Verdict.ABANDON, 0, 0, 0, 1.0,
                TrainerService.putUnderTestBeforeRollback(c1, rolledBack).orElseThrow()))).isEqualTo("rolled_back");
        // without a rollback, or put under test after it: its test goes on
        assertThat(TrainerService.putUnderTestBeforeRollback(c1, ModelLineage.base("fake-1").with(c1))).isEmpty();
        ModelUpdate c2 = model("fake-1-a3", 60_000).withStatus(ModelUpdate.UNDER_TEST, 60_000);
        assertThat(TrainerService.putUnderTestBeforeRollback(c2, rolledBack.with(c2))).isEmpty();
    }

    @Test
    void shouldHoldWhilePausedAndResumeOnTheLaterRecord() {
        ModelLineage paused = ModelLineage.base("fake-1").with(ModelUpdate.trainingControl("fake-1", true, 5));
        assertThat(paused.trainingPaused()).isTrue();
        assertThat(paused.versions()).as("the control record is no model").containsExactly("fake-1");
        assertThat(paused.promotions()).isZero();
        assertThat(TrainerService.holdReason(entries(500, "fake-1", 0), paused, RULES, 0)).get().asString()
                .contains("paused");
        ModelLineage resumed = paused.with(ModelUpdate.trainingControl("fake-1", false, 6));
        assertThat(resumed.trainingPaused()).isFalse();
        assertThat(TrainerService.holdReason(entries(500, "fake-1", 0), resumed, RULES, 0)).isEmpty();
    }

    @Test
    void shouldCarryTheTrainingWindowAndRollbackTimeThroughJson() {
        JsonNode window = Json.MAPPER.valueToTree(Map.of("partitions", Map.of("0", Map.of("from", 0, "to", 9))));
        ModelUpdate rolled = model("fake-1-a1", 1).withTrainingWindow(window).rolledBack(77);
        JsonSerde<ModelUpdate> serde = JsonSerde.of(ModelUpdate.class);
        ModelUpdate back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", rolled));
        assertThat(back.trainingWindow()).isEqualTo(window);
        assertThat(back.rolledBackAt()).isEqualTo(77L);
        assertThat(back.promoted()).isFalse();
        ModelUpdate control = serde.deserializer().deserialize("t",
                serde.serializer().serialize("t", ModelUpdate.trainingControl("fake-1", true, 3)));
        assertThat(control.isTrainingControl()).isTrue();
        assertThat(control.status()).isEqualTo(ModelUpdate.PAUSED);
    }

    @Test
    void shouldNeverServeACandidateUnderTestAsLiveAndForgetItWhenItsParentIsNoLongerLive() {
        ModelUpdate a1 = model("fake-1-a1", 10);
        ModelUpdate a2 = new ModelUpdate("fake-1-a2", "/m/a2", ModelUpdate.QUERY_ONLY, "fake-1-a1", null, "fake-1",
                "fake-1-a1", 20, ModelUpdate.UNDER_TEST);
        ModelLineage l = ModelLineage.base("fake-1").with(a1).with(a2);
        assertThat(l.liveVersion()).isEqualTo("fake-1-a1");
        assertThat(l.underTest()).contains(a2);
        assertThat(l.lastRollback()).as("a candidate under test is no rollback").isEmpty();
        assertThat(l.queryVersionFor("fake-1-a1")).contains("fake-1-a1");

        ModelLineage abandoned = l.with(a2.withStatus(ModelUpdate.ABANDONED, 30));
        assertThat(abandoned.underTest()).isEmpty();
        assertThat(abandoned.liveVersion()).isEqualTo("fake-1-a1");

        ModelLineage promoted = l.with(a2.withStatus(ModelUpdate.PROMOTED, 40));
        assertThat(promoted.liveVersion()).isEqualTo("fake-1-a2");
        assertThat(promoted.live().orElseThrow().promotedAt()).isEqualTo(40);

        ModelLineage parentGone = l.with(a1.rolledBack(50));
        assertThat(parentGone.underTest()).as("trained against a model no longer live").isEmpty();
    }

    @Test
    void shouldKnowTheQueriesInTheLiveModelsTrainingWindow() {
        List<TrainingWindow.Entry> window = entries(10, "fake-1", 0); // queries q0 … q9 at offsets 0 … 9 of partition 0
        assertThat(TrainerService.liveQueries(window, ModelLineage.base("fake-1"))).isEmpty();
        JsonNode trainedOn = Json.MAPPER.valueToTree(Map.of("partitions", Map.of("0", Map.of("from", 2, "to", 5))));
        ModelLineage l = ModelLineage.base("fake-1").with(model("fake-1-a1", 1).withTrainingWindow(trainedOn));
        assertThat(TrainerService.liveQueries(window, l)).containsExactlyInAnyOrder("q2", "q3", "q4", "q5");
        // queries it held out (in the window, not among its trained_queries) it never trained on
        JsonNode heldOutSome = Json.MAPPER.valueToTree(Map.of("partitions", Map.of("0", Map.of("from", 2, "to", 5)),
                ModelUpdate.TRAINED_QUERIES, List.of(Queries.key("q2"), Queries.key("Q4 "))));
        ModelLineage held = ModelLineage.base("fake-1").with(model("fake-1-a1", 1).withTrainingWindow(heldOutSome));
        assertThat(TrainerService.liveQueries(window, held)).containsExactlyInAnyOrder("q2", "q4");
        // a record without a window (older records): nothing is known to be seen
        assertThat(TrainerService.liveQueries(window, ModelLineage.base("fake-1").with(model("fake-1-a1", 1)))).isEmpty();
    }
}
