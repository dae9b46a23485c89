package dev.embedloop.cli;

import dev.embedloop.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code embedloop}: the command line. Each subcommand wires what it needs by hand. */
@Command(name = "embedloop",
        mixinStandardHelpOptions = true,
        version = "embedloop 0.1.0",
        description = "Keeps a Qdrant collection in step with a Kafka stream of documents.",
        subcommands = {
            DemoCommand.class,
            EmbeddedCommand.class,
            IndexCommand.class,
            FeedbackCommand.class,
            TrainCommand.class,
            PublishCommand.class,
            SearchCommand.class,
            ServeCommand.class,
            EvalCommand.class,
            RollbackCommand.class,
            TopologyCommand.class,
            ConfigCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Cli implements Runnable {

    /** gRPC logs through java.util.logging, whose INFO lines are noise on a console; held so the level sticks. */
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Kafka's test kit (the embedded broker) ships a log4j2.yaml that log4j would prefer over an
        // XML file; name ours explicitly before the first logger exists
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:embedloop-log4j2.xml");
        }
        GRPC_LOG.setLevel(java.util.logging.Level.WARNING);
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Cli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable root = e;
            while (root.getCause() != null && !(root instanceof ConfigException)) {
                root = root.getCause();
            }
            if (root instanceof ConfigException || e instanceof IllegalArgumentException) {
                cmd.getErr().println(cmd.getColorScheme().errorText("error: " + (root instanceof ConfigException ? root : e).getMessage()));
                return 2;
            }
            cmd.getErr().println(cmd.getColorScheme().errorText("error: " + e.getMessage()));
            if (System.getenv("EMBEDLOOP_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            } else {
                cmd.getErr().println("(set EMBEDLOOP_DEBUG=1 for the stack trace)");
            }
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
