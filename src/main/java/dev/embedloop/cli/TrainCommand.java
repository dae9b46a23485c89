package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.Models;
import dev.embedloop.train.TrainerService;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Run the trainer (training pairs → gated adapter models on model-updates) until interrupted.",
        subcommands = {TrainCommand.Pause.class, TrainCommand.Resume.class})
final class TrainCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(TrainCommand.class);

    @Mixin
    ConfigOptions config;

    @Option(names = "--stats-interval", defaultValue = "10", paramLabel = "SECONDS",
            description = "Print the counters every SECONDS (default ${DEFAULT-VALUE}).")
    int statsInterval;

    @Override
    public Integer call() throws Exception {
        EmbedloopConfig cfg = config.load();
        LOG.info("configuration: {}", cfg.describe());
        // the configured model is the frozen base: every adapter is trained and exported on top of it
        try (StopSignal stop = new StopSignal();
                Models models = Models.open(cfg);
                TrainerService trainer = TrainerService.start(cfg, models.encoder(), models.directory())) {
            return stop.reportUntilStopped("train", Duration.ofSeconds(statsInterval), trainer::stats, trainer::stopped);
        }
    }

    /** {@code train pause}: every trainer instance stops promoting (it holds through restarts) until {@code train resume}. */
    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Stop promotions: publish the training-control record 'paused' on model-updates; every"
                    + " trainer instance obeys it, restarts included, until 'train resume'.")
    static final class Pause implements Callable<Integer> {
        @Mixin
        ConfigOptions config;

        @Override
        public Integer call() throws Exception {
            return TrainingControl.publish(config.load(), true);
        }
    }

    /** {@code train resume}: lifts {@code train pause}. */
    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Allow promotions again: publish the training-control record 'resumed' on model-updates.")
    static final class Resume implements Callable<Integer> {
        @Mixin
        ConfigOptions config;

        @Override
        public Integer call() throws Exception {
            return TrainingControl.publish(config.load(), false);
        }
    }

    /** Publishes the training-control record of the configured base model. */
    static final class TrainingControl {
        private TrainingControl() {}

        static int publish(EmbedloopConfig cfg, boolean paused) {
            String base;
            try {
                base = dev.embedloop.encode.BundledModels.resolveModel(cfg.model()).descriptor().version();
            } catch (java.io.IOException | RuntimeException e) {
                throw new dev.embedloop.config.ConfigException("model", "'" + cfg.model()
                        + "' is neither a bundled model nor a readable model directory: " + e.getMessage());
            }
            dev.embedloop.kafka.KafkaTopics.ensure(cfg.kafkaProperties(), dev.embedloop.kafka.KafkaTopics.modelTopics(cfg));
            dev.embedloop.lineage.ModelUpdatesFollower.publish(cfg.kafkaProperties(), cfg.topics().modelUpdates(),
                    dev.embedloop.lineage.ModelUpdate.trainingControl(base, paused, System.currentTimeMillis()));
            System.out.println(paused ? "promotions paused for " + base + " (train resume lifts it)"
                    : "promotions resumed for " + base);
            return 0;
        }
    }
}
