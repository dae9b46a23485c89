package dev.embedloop.search;

import dev.embedloop.config.ConfigReader;
import dev.embedloop.config.EmbedloopConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the search service.
 *
 * @param port HTTP port
 * @param maxK largest k a request may ask for
 * @param queryTtl how long a search's click token accepts clicks
 * @param threads worker threads
 * @param queueCapacity complete requests waiting for a worker
 * @param idleTimeout a connection without traffic this long is closed
 * @param readTimeout a request body must be complete this long after its headers
 * @param clickKey the click-token key (UTF-8 bytes of {@code search.click-key}), null when unset
 * @param clickKeyPrevious the previous click-token key, null when unset
 * @param interleaveFraction fraction of searches interleaved with the candidate under test, in [0, 1]
 */
public record SearchSettings(int port, int maxK, Duration queryTtl, int threads, int queueCapacity,
        Duration idleTimeout, Duration readTimeout, byte[] clickKey, byte[] clickKeyPrevious,
        double interleaveFraction) {

    public SearchSettings {
        Objects.requireNonNull(queryTtl, "queryTtl");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        if (!(interleaveFraction >= 0 && interleaveFraction <= 1)) {
            throw new IllegalArgumentException("interleaveFraction must be in [0, 1], was " + interleaveFraction);
        }
    }

    /** The search service's settings from the configuration; a bad value fails naming its key. */
    public static SearchSettings from(EmbedloopConfig cfg) {
        ConfigReader r = cfg.reader();
        byte[] key = key(r, "search.click-key");
        byte[] previous = key(r, "search.click-key-previous");
        if (previous != null && key == null) {
            throw new dev.embedloop.config.ConfigException("search.click-key-previous",
                    "is set but search.click-key is not: set the new key too");
        }
        return new SearchSettings(r.intIn("search.port", 0, 65_535), r.intIn("search.max-k", 1, 10_000),
                Duration.ofMillis(r.longIn("search.query-ttl-ms", 1, Long.MAX_VALUE)),
                r.intIn("search.threads", 1, 1_000), r.intIn("search.queue-capacity", 1, 100_000),
                Duration.ofMillis(r.longIn("search.idle-timeout-ms", 100, 3_600_000)),
                Duration.ofMillis(r.longIn("search.read-timeout-ms", 100, 3_600_000)), key, previous,
                r.doubleIn("search.interleave-fraction", 0, 1));
    }

    /** The click tokens of these settings: the configured keys, or a random key of this process. */
    public ClickTokens clickTokens() {
        return clickKey == null ? ClickTokens.randomKey() : ClickTokens.withKeys(clickKey, clickKeyPrevious);
    }

    private static byte[] key(ConfigReader r, String name) {
        String value = r.optional(name);
        if (value == null) {
            return null;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < ClickTokens.MIN_KEY_BYTES) {
            // the message names the rule, never the value
            throw new dev.embedloop.config.ConfigException(name, "must have at least " + ClickTokens.MIN_KEY_BYTES
                    + " bytes (e.g. the output of 'openssl rand -base64 32')");
        }
        return bytes;
    }

    @Override
    public String toString() {
        return "SearchSettings[port=" + port + ", maxK=" + maxK + ", queryTtl=" + queryTtl + ", threads=" + threads
                + ", queueCapacity=" + queueCapacity + ", idleTimeout=" + idleTimeout + ", readTimeout=" + readTimeout
                + ", clickKey=" + (clickKey == null ? "unset" : "****") + ", clickKeyPrevious="
                + (clickKeyPrevious == null ? "unset" : "****") + ", interleaveFraction=" + interleaveFraction + "]";
    }
}
