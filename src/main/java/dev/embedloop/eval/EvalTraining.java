package dev.embedloop.eval;

import dev.embedloop.Models;
import dev.embedloop.config.EmbedloopConfig;

/** Wires the trainer into an evaluation run. */
final class EvalTraining {

    private EvalTraining() {}

    static RoundTrainer start(EmbedloopConfig cfg, Models models, java.io.PrintStream progress) {
        throw new UnsupportedOperationException("WIP: trainer wiring lands with the trainer");
    }
}
