package dev.embedloop.cli;

import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The configuration options every command shares: a properties file and key=value overrides. */
public final class ConfigOptions {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file with configuration keys (see README: Configuration).")
    Path file;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
            description = "Set one configuration key; wins over the file and the environment. Repeatable.")
    Map<String, String> overrides = new LinkedHashMap<>();

    /** defaults &lt; file &lt; environment &lt; flags. */
    public EmbedloopConfig load() {
        Properties props = null;
        if (file != null) {
            props = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                props.load(reader);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read configuration file " + file + ": " + e.getMessage());
            }
        }
        return ServiceSettings.check(ConfigLoader.load(props, System.getenv(), overrides));
    }
}
