package dev.embedloop.config;

/**
 * One documented configuration key.
 *
 * @param name dotted key, e.g. {@code qdrant.port}
 * @param defaultValue the default, or null when there is none
 * @param description one line for the configuration reference
 * @param secret whether the value must never be printed or logged
 */
public record ConfigKey(String name, String defaultValue, String description, boolean secret) {

    /** The environment variable that sets this key: {@code EMBEDLOOP_QDRANT_API_KEY} for {@code qdrant.api-key}. */
    public String envName() {
        return ConfigLoader.ENV_PREFIX + name.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
