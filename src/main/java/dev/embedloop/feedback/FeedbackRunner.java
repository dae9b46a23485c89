package dev.embedloop.feedback;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.kafka.KafkaClients;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.kafka.RecordTimestamps;
import dev.embedloop.kafka.StreamsRunner;
import dev.embedloop.metrics.Meters;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Runs the feedback topology (impressions + clicks → training pairs) as its own Kafka Streams
 * application, exactly-once so a crash neither loses nor repeats a decided impression.
 */
public final class FeedbackRunner implements AutoCloseable {

    private final StreamsRunner runner;
    private final FeedbackStats stats;

    private FeedbackRunner(StreamsRunner runner, FeedbackStats stats) {
        this.runner = runner;
        this.stats = stats;
    }

    public static FeedbackRunner start(EmbedloopConfig cfg) {
        return start(cfg, Meters.detached());
    }

    /** {@link #start(EmbedloopConfig)} with its meters in {@code registry}. */
    public static FeedbackRunner start(EmbedloopConfig cfg, MeterRegistry registry) {
        List<NewTopic> topics = new ArrayList<>(KafkaTopics.indexingTopics(cfg));
        topics.addAll(KafkaTopics.feedbackTopics(cfg));
        KafkaTopics.ensure(cfg.kafkaProperties(), topics);
        FeedbackStats stats = new FeedbackStats(registry);
        Properties props = KafkaClients.streams(cfg.kafkaProperties());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, cfg.values().get("feedback.application-id"));
        props.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
        props.putIfAbsent("processing.exception.handler.global.enabled", "true");
        // the documents' global store takes no timestamp extractor: mend records without a timestamp as they arrive
        RecordTimestamps.mendGlobalConsumer(props);
        StreamsRunner.staticMembership(props, cfg.reader().optional("instance.id"));
        StreamsRunner runner = StreamsRunner.start("feedback", FeedbackTopology.build(FeedbackSettings.from(cfg), stats), props,
                e -> false);
        return new FeedbackRunner(runner, stats);
    }

    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return runner.awaitRunning(timeout);
    }

    public boolean stopped() {
        return runner.stopped();
    }

    /** The Kafka Streams instance, for metrics binders only. */
    public KafkaStreams kafkaStreams() {
        return runner.kafkaStreams();
    }

    public FeedbackStats stats() {
        return stats;
    }

    @Override
    public void close() {
        runner.close();
    }
}
