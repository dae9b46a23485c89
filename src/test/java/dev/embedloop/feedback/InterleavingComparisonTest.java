package dev.embedloop.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.events.Click;
import dev.embedloop.events.Impression;
import dev.embedloop.events.InterleavingOutcome;
import dev.embedloop.events.Json;
import dev.embedloop.search.Interleaving;
import dev.embedloop.train.OnlineGate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The online comparison end to end, without a broker: team-draft interleaved pages of a live and a
 * hand-made candidate ranking, simulated users who click relevant results they examine (examination
 * (1/rank)^0.7), the feedback topology's per-impression outcomes, and the online gate's decision.
 */
class InterleavingComparisonTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final int QUERIES = 300;
    private static final int PAGE = 10;
    private TopologyTestDriver driver;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private enum Candidate { BETTER, WORSE, SAME }

    /** Runs the traffic and returns the gate's decision. */
    private OnlineGate.Decision compare(Candidate kind, boolean randomUsers, String app) {
        TestSettings settings = new TestSettings();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, tempStateDir(app));
        driver = new TopologyTestDriver(FeedbackTopology.build(settings.build(), new FeedbackStats()), props,
                Instant.ofEpochMilli(T0));
        ByteArraySerializer bytes = new ByteArraySerializer();
        TestInputTopic<byte[], byte[]> impressions = driver.createInputTopic(settings.impressions, bytes, bytes,
                Instant.ofEpochMilli(T0), Duration.ZERO);
        TestInputTopic<byte[], byte[]> clicks = driver.createInputTopic(settings.clicks, bytes, bytes,
                Instant.ofEpochMilli(T0), Duration.ZERO);
        TestOutputTopic<String, String> outcomes = driver.createOutputTopic("interleaving-outcomes",
                new StringDeserializer(), new StringDeserializer());
        Random users = new Random(5);
        for (int q = 0; q < QUERIES; q++) {
            // 20 documents per query, 3 of them relevant; the live model ranks them 4th to 6th
            List<String> live = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                live.add("q" + q + "-d" + i);
            }
            List<String> relevant = List.of(live.get(3), live.get(4), live.get(5));
            List<String> cand = new ArrayList<>(live);
            switch (kind) {
                case BETTER -> { cand.removeAll(relevant); cand.addAll(0, relevant); }
                case WORSE -> { cand.removeAll(relevant); cand.addAll(relevant); }
                case SAME -> { }
            }
            List<Interleaving.Pick<String>> page = Interleaving.teamDraft(live, cand, PAGE, Function.identity(),
                    new SplittableRandom(q));
            String qid = "q" + q;
            List<Impression.Result> results = new ArrayList<>();
            for (int r = 0; r < page.size(); r++) {
                results.add(new Impression.Result(page.get(r).item(), r + 1, null, page.get(r).team().wire()));
            }
            impressions.pipeInput(b(qid), Json.write(new Impression(qid, "query " + q, null, "s" + q, "live-1",
                    results, T0 - 5, "cand-1")));
            for (int r = 1; r <= page.size(); r++) {
                String doc = page.get(r - 1).item();
                boolean examined = users.nextDouble() < Math.pow(1.0 / r, 0.7);
                boolean wants = randomUsers ? users.nextDouble() < 0.3 : relevant.contains(doc);
                if (examined && wants) {
                    clicks.pipeInput(b(qid), Json.write(new Click(qid, doc, r, null, T0 + 1)));
                }
            }
        }
        driver.advanceWallClockTime(settings.window.plusSeconds(5));
        int wins = 0;
        int losses = 0;
        int ties = 0;
        for (var r : outcomes.readRecordsToList()) {
            InterleavingOutcome o = Json.read(b(r.value()), InterleavingOutcome.class);
            switch (o.outcome()) {
                case InterleavingOutcome.WIN -> wins++;
                case InterleavingOutcome.LOSS -> losses++;
                default -> ties++;
            }
        }
        return new OnlineGate(new OnlineGate.Options(0.05, 20, 5000, Duration.ofHours(1)))
                .decide(wins, losses, ties, Duration.ZERO);
    }

    private static String tempStateDir(String app) {
        try {
            return java.nio.file.Files.createTempDirectory(app).toString();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPromoteAClearlyBetterCandidate() {
        OnlineGate.Decision d = compare(Candidate.BETTER, false, "interleave-better");
        assertThat(d.verdict()).as(d.reason()).isEqualTo(OnlineGate.Verdict.PROMOTE);
    }

    @Test
    void shouldAbandonAClearlyWorseCandidate() {
        OnlineGate.Decision d = compare(Candidate.WORSE, false, "interleave-worse");
        assertThat(d.verdict()).as(d.reason()).isEqualTo(OnlineGate.Verdict.ABANDON);
        assertThat(d.losses()).isGreaterThan(d.wins());
    }

    @Test
    void shouldNotPromoteOnRandomClicks() {
        OnlineGate.Decision d = compare(Candidate.BETTER, true, "interleave-random");
        assertThat(d.verdict()).as(d.reason()).isNotEqualTo(OnlineGate.Verdict.PROMOTE);
    }
}
