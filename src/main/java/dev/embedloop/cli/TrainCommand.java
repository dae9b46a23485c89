package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.Models;
import dev.embedloop.metrics.Management;
import dev.embedloop.metrics.ManagementSettings;
import dev.embedloop.train.TrainerService;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
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
        // the configured model is the frozen base: every adapter is trained and exported on top of it
        try (StopSignal stop = new StopSignal();
                Management management = Monitoring.start(cfg, ManagementSettings.TRAIN_PORT)) {
            LOG.info("configuration: {}", cfg.describe()); // after Monitoring.start: in the configured log format
            AtomicBoolean loaded = new AtomicBoolean();
            management.readiness().add("model", loaded::get);
            Monitoring.checkKafka(management, cfg);
            try (Models models = Models.open(cfg);
                    TrainerService trainer = start(cfg, models, management)) {
                loaded.set(true);
                return stop.reportUntilStopped("train", Duration.ofSeconds(statsInterval), trainer::stats, trainer::stopped);
            }
        }
    }

    /**
     * Starts the trainer with its meters in {@code management}'s registry, its consumer's metrics
     * (lag on training-pairs) bound, and the readiness check "trainer" (its loop is alive).
     */
    static TrainerService start(EmbedloopConfig cfg, Models models, Management management) throws java.io.IOException {
        TrainerService trainer = TrainerService.start(cfg, models.encoder(), models.directory(), management.registry());
        management.bind(trainer.consumer());
        management.readiness().add("trainer", () -> !trainer.stopped());
        return trainer;
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
