package dev.embedloop.eval;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.Models;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.train.OnlineGate;
import dev.embedloop.train.TrainSettings;
import dev.embedloop.train.TrainerService;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Optional;

/**
 * Wires the real trainer into an evaluation run: a {@link TrainerService} on the run's embedded
 * Kafka, stepped by the evaluation instead of running its own loop, so that it acts at the same
 * points of the traffic in every run: after every session pass the online gate decides the
 * candidate under test
 * ({@link TrainerService#decideOnlineNow()}) and the trainer trains if its count trigger is due
 * ({@link TrainerService#trainIfDue()}); after each round it trains once whatever the trigger says
 * ({@link TrainerService#trainNow()}).
 */
final class EvalTraining {

    private EvalTraining() {}

    static RoundTrainer start(EmbedloopConfig cfg, Models models, PrintStream progress) {
        TrainerService service;
        try {
            service = TrainerService.create(cfg, models.encoder(), models.directory());
        } catch (IOException e) {
            throw new IllegalStateException("could not start the trainer: " + e.getMessage(), e);
        }
        TrainSettings settings = TrainSettings.from(cfg);
        String mode = TrainSettings.modeName(settings.mode());
        progress.println("[train] trainer ready: mode " + mode + ", online gate "
                + (settings.online().enabled() ? "on" : "off") + ", model store " + settings.modelStore());
        return new RoundTrainer() {
            @Override
            public Outcome trainNow() {
                return outcome(service.trainNow());
            }

            @Override
            public Outcome trainIfDue() {
                return service.trainIfDue().map(this::outcome).orElse(null);
            }

            private Outcome outcome(TrainerService.Outcome o) {
                if (o.status() == TrainerService.Status.FAILED) {
                    throw new IllegalStateException("training failed: " + o.reason());
                }
                progress.println("[train] " + o.summary());
                String version = o.promoted() ? o.version() : service.lineage().liveVersion();
                boolean published = o.status() == TrainerService.Status.PROMOTED
                        || o.status() == TrainerService.Status.UNDER_TEST;
                return new Outcome(o.examples(), o.promoted(), version, mode,
                        o.live() == null ? Double.NaN : o.live().mrr(),
                        o.candidate() == null ? Double.NaN : o.candidate().mrr(),
                        o.totalMillis() / 1000.0, o.reason(), o.status().name().toLowerCase(Locale.ROOT),
                        published ? o.version() : null);
            }

            @Override
            public Online decideOnline() {
                Optional<ModelUpdate> underTest = service.lineage().underTest();
                if (underTest.isEmpty()) {
                    return null;
                }
                Optional<OnlineGate.Decision> d = service.decideOnlineNow();
                if (d.isEmpty()) {
                    return null;
                }
                OnlineGate.Decision decision = d.get();
                progress.println("[train] online: " + underTest.get().version() + " " + decision.reason());
                return new Online(underTest.get().version(), underTest.get().parent(), decision.wins(),
                        decision.losses(), decision.ties(), decision.pValue(),
                        decision.verdict().name().toLowerCase(Locale.ROOT), decision.reason());
            }

            @Override
            public String liveVersion() {
                return service.lineage().liveVersion();
            }

            @Override
            public String underTest() {
                return service.lineage().underTest().map(ModelUpdate::version).orElse(null);
            }

            @Override
            public void close() {
                service.close();
            }
        };
    }
}
