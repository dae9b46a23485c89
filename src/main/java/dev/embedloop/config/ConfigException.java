package dev.embedloop.config;

/** A configuration value is missing or wrong; the message names the key. Stops start-up. */
public final class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String key, String message) {
        super("Invalid configuration: " + key + " " + message);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
