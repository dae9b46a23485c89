package dev.embedloop.metrics;

import dev.embedloop.config.ConfigException;
import dev.embedloop.config.ConfigReader;
import dev.embedloop.config.EmbedloopConfig;

/**
 * Settings of the management port.
 *
 * @param host address to bind
 * @param port port to serve on: 0 = any free port, -1 = no management port
 */
public record ManagementSettings(String host, int port) {

    /** Default management ports of the long-running commands (one process each, so they can share a host). */
    public static final int INDEX_PORT = 9401;
    public static final int SERVE_PORT = 9402;
    public static final int FEEDBACK_PORT = 9403;
    public static final int TRAIN_PORT = 9404;
    public static final int EMBEDDED_PORT = 9405;

    /** The value of {@code management.port} that picks the command's default port. */
    public static final String AUTO = "auto";

    /** Whether a management server is wanted. */
    public boolean enabled() {
        return port >= 0;
    }

    /**
     * The settings from the configuration; {@code management.port=auto} (or empty) means
     * {@code commandDefault}. A bad value fails naming its key.
     */
    public static ManagementSettings from(EmbedloopConfig cfg, int commandDefault) {
        ConfigReader r = cfg.reader();
        String raw = r.optional("management.port");
        int port = commandDefault;
        if (raw != null && !raw.equalsIgnoreCase(AUTO)) {
            port = r.intIn("management.port", -1, 65_535);
        }
        return new ManagementSettings(r.nonBlank("management.host"), port);
    }

    /** The log format: {@code text} or {@code json}. */
    public static String logFormat(EmbedloopConfig cfg) {
        String format = cfg.reader().nonBlank("log.format");
        if (!format.equals("text") && !format.equals("json")) {
            throw new ConfigException("log.format", "must be text or json, was '" + format + "'");
        }
        return format;
    }
}
