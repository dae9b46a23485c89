package dev.embedloop.search;

import dev.embedloop.config.ConfigReader;
import dev.embedloop.config.EmbedloopConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the search service.
 *
 * @param port HTTP port
 * @param maxK largest k a request may ask for
 * @param queryTtl how long a query id accepts clicks
 */
public record SearchSettings(int port, int maxK, Duration queryTtl) {

    public SearchSettings {
        Objects.requireNonNull(queryTtl, "queryTtl");
    }

    /** The search service's settings from the configuration; a bad value fails naming its key. */
    public static SearchSettings from(EmbedloopConfig cfg) {
        ConfigReader r = cfg.reader();
        return new SearchSettings(r.intIn("search.port", 0, 65_535), r.intIn("search.max-k", 1, 10_000),
                Duration.ofMillis(r.longIn("search.query-ttl-ms", 1, Long.MAX_VALUE)));
    }
}
