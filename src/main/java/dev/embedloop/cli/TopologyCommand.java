package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.topology.Topologies;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "topology", mixinStandardHelpOptions = true,
        description = "Print the topology descriptions, or write them into a directory (the repository keeps them under topology/).")
final class TopologyCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Option(names = "--write", paramLabel = "DIR", description = "Write one file per topology into DIR instead of printing.")
    Path dir;

    @Override
    public Integer call() throws Exception {
        EmbedloopConfig cfg = config.load();
        if (dir != null) {
            Topologies.write(cfg, dir);
            System.out.println("wrote " + Topologies.describe(cfg).keySet() + " to " + dir);
            return 0;
        }
        for (Map.Entry<String, String> e : Topologies.describe(cfg).entrySet()) {
            System.out.println("# " + e.getKey());
            System.out.println(e.getValue());
        }
        return 0;
    }
}
