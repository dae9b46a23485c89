package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.feedback.FeedbackRunner;
import dev.embedloop.metrics.Management;
import dev.embedloop.metrics.ManagementSettings;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "feedback", mixinStandardHelpOptions = true,
        description = "Run the feedback topology (search impressions + clicks → training pairs) until interrupted.")
final class FeedbackCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Option(names = "--stats-interval", defaultValue = "10", paramLabel = "SECONDS",
            description = "Print the counters every SECONDS (default ${DEFAULT-VALUE}).")
    int statsInterval;

    @Override
    public Integer call() throws Exception {
        EmbedloopConfig cfg = config.load();
        try (StopSignal stop = new StopSignal();
                Management management = Monitoring.start(cfg, ManagementSettings.FEEDBACK_PORT);
                FeedbackRunner feedback = start(cfg, management)) {
            return stop.reportUntilStopped("feedback", Duration.ofSeconds(statsInterval), feedback::stats, feedback::stopped);
        }
    }

    /**
     * Starts the feedback topology with its meters in {@code management}'s registry, its Kafka
     * Streams metrics bound, and the readiness checks "kafka" and "streams".
     */
    static FeedbackRunner start(EmbedloopConfig cfg, Management management) {
        Monitoring.checkKafka(management, cfg);
        FeedbackRunner feedback = FeedbackRunner.start(cfg, management.registry());
        management.bind(feedback.kafkaStreams());
        management.readiness().add("streams", () -> {
            KafkaStreams.State state = feedback.kafkaStreams().state();
            return state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
        });
        return feedback;
    }
}
