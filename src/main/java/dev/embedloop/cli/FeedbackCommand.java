package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.feedback.FeedbackRunner;
import java.time.Duration;
import java.util.concurrent.Callable;
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
        try (StopSignal stop = new StopSignal(); FeedbackRunner feedback = FeedbackRunner.start(cfg)) {
            return stop.reportUntilStopped("feedback", Duration.ofSeconds(statsInterval), feedback::stats, feedback::stopped);
        }
    }
}
