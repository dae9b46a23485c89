package dev.embedloop.cli;

import dev.embedloop.config.ConfigException;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.feedback.FeedbackSettings;
import dev.embedloop.index.IndexSettings;
import dev.embedloop.search.SearchSettings;
import dev.embedloop.train.TrainSettings;

/**
 * Reads every service's settings once, at start-up: each module owns its keys and turns them into
 * its own settings record, and a bad value in any of them stops every command before it starts,
 * with a message that names the key (not only the command that would have used it).
 */
final class ServiceSettings {

    private ServiceSettings() {}

    /** @throws ConfigException naming the first key whose value a module refuses */
    static EmbedloopConfig check(EmbedloopConfig cfg) {
        IndexSettings.from(cfg);
        SearchSettings.from(cfg);
        FeedbackSettings.from(cfg);
        TrainSettings.from(cfg);
        return cfg;
    }
}
