package dev.embedloop.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Typed, validated access to the configuration's values: what each module uses to turn the keys
 * it owns into its own settings record. Every failure is a {@link ConfigException} that names the
 * key and never echoes a secret value.
 */
public final class ConfigReader {

    private final Map<String, String> values;

    ConfigReader(Map<String, String> values) {
        this.values = values;
    }


    public String raw(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new ConfigException(key, "is required");
        }
        return v.trim();
    }

    public String optional(String key) {
        String v = values.get(key);
        return v == null || v.isBlank() ? null : v.trim();
    }

    public String nonBlank(String key) {
        String v = raw(key);
        if (v.isEmpty()) {
            throw new ConfigException(key, "must not be empty");
        }
        return v;
    }

    /** Topic, collection and application names: Kafka's and Qdrant's legal characters. */
    public String name(String key) {
        String v = nonBlank(key);
        if (!v.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new ConfigException(key, "must use only letters, digits, '.', '_' and '-', was '" + v + "'");
        }
        return v;
    }

    public double doubleIn(String key, double min, double max) {
        String v = raw(key);
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "must be a number, was '" + v + "'");
        }
        if (!(d >= min && d <= max)) {
            throw new ConfigException(key, "must be between " + min + " and " + max + ", was " + v);
        }
        return d;
    }

    public Duration millis(String key) {
        return Duration.ofMillis(longIn(key, 1, Long.MAX_VALUE));
    }

    public boolean bool(String key) {
        String v = raw(key).toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new ConfigException(key, "must be true or false, was '" + v + "'");
        };
    }

    public int intIn(String key, int min, int max) {
        return (int) longIn(key, min, max);
    }

    public long longIn(String key, long min, long max) {
        String v = raw(key);
        long n;
        try {
            n = Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "must be an integer, was '" + v + "'");
        }
        if (n < min || n > max) {
            throw new ConfigException(key, "must be between " + min + " and " + max + ", was " + n);
        }
        return n;
    }

    /** Wraps a module's own check of a value into a failure that names the key. */
    public <T> T parse(String key, java.util.function.Function<String, T> parser) {
        try {
            return parser.apply(nonBlank(key));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage());
        }
    }
}
