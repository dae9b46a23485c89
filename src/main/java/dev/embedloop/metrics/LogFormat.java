package dev.embedloop.metrics;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * Switches the console log between the text pattern and JSON lines (log4j's JSON template layout,
 * {@code embedloop-log-template.json}): the log4j configuration selects its layout from the system
 * property {@value #PROPERTY}, and {@link #apply} sets it and reloads the configuration.
 */
public final class LogFormat {

    /** System property the log4j configuration's arbiter reads. */
    public static final String PROPERTY = "embedloop.log.format";

    private LogFormat() {}

    /** Sets the level of {@code logger} (and the loggers below it) for the rest of the run. */
    public static void setLevel(String logger, String level) {
        Configurator.setLevel(logger, Level.toLevel(level, Level.INFO));
    }

    /** Applies {@code format} ({@code text} or {@code json}); a no-op when it is already in force. */
    public static void apply(String format) {
        String before = System.getProperty(PROPERTY, "text");
        if (before.equals(format)) {
            return;
        }
        System.setProperty(PROPERTY, format);
        if (LogManager.getContext(false) instanceof LoggerContext context) {
            context.reconfigure();
        }
    }
}
