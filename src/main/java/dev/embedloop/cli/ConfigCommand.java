package dev.embedloop.cli;

import dev.embedloop.config.ConfigKey;
import dev.embedloop.config.ConfigKeys;
import dev.embedloop.config.EmbedloopConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Validate and print the effective configuration (secrets masked), or the reference of every key.")
final class ConfigCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Option(names = "--reference", description = "Print every key with its default, environment variable and meaning (Markdown).")
    boolean reference;

    @Override
    public Integer call() {
        if (reference) {
            System.out.println("| key | default | environment | meaning |");
            System.out.println("|---|---|---|---|");
            for (ConfigKey k : ConfigKeys.ALL) {
                System.out.println("| `" + k.name() + "` | " + (k.defaultValue() == null ? "" : "`" + k.defaultValue() + "`")
                        + " | `" + k.envName() + "` | " + k.description() + " |");
            }
            return 0;
        }
        EmbedloopConfig cfg = config.load();
        cfg.describe().forEach((k, v) -> System.out.println(k + "=" + v));
        return 0;
    }
}
