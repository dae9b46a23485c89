package dev.embedloop.testing;

import dev.embedloop.embedded.EmbeddedServices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * An {@code embedloop} command ({@code index}, {@code serve}, {@code feedback}, {@code train},
 * {@code rollback}, {@code train pause}, …) in its own JVM, the way the compose file runs each
 * service: the test's classpath, {@code dev.embedloop.cli.Cli} as main class, the embedded broker
 * and Qdrant local mode of the test passed with {@code --set}, and stdout and stderr together in one
 * log file under {@code target/}. {@link #close()} stops it with SIGTERM (the shutdown hook closes
 * Kafka Streams and the clients) and kills it when it has not exited by the deadline.
 */
public final class ChildProcess implements AutoCloseable {

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Process process;
    private final Path log;
    private final long launchedNanos;

    private ChildProcess(String name, Process process, Path log, long launchedNanos) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.launchedNanos = launchedNanos;
    }

    /**
     * What every child of one test shares: the JVM options, the broker, the local mode, the model,
     * {@code management.port=0} (several services on one host) and the directory of the logs.
     */
    public static final class Launcher {

        private final String bootstrapServers;
        private final int qdrantPort;
        private final String model;
        private final Path logDir;
        private final String maxHeap;

        public Launcher(String bootstrapServers, int qdrantPort, String model, Path logDir, String maxHeap) {
            this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            this.qdrantPort = qdrantPort;
            this.model = Objects.requireNonNull(model, "model");
            this.logDir = Objects.requireNonNull(logDir, "logDir");
            this.maxHeap = Objects.requireNonNull(maxHeap, "maxHeap");
        }

        /** Children of {@code services} with {@code model}, 512 MB of heap each, logs under {@code target/<logDir>}. */
        public static Launcher of(EmbeddedServices services, String model, String logDir) {
            return new Launcher(services.bootstrapServers(), services.qdrantPort(), model,
                    TestData.projectRoot().resolve("target").resolve(logDir), "512m");
        }

        /** Where the log of the child named {@code name} goes. */
        public Path log(String name) {
            return logDir.resolve(name + ".log");
        }

        /**
         * Starts {@code command} (e.g. {@code List.of("train", "pause")}) with the shared settings,
         * then {@code args} (more {@code --set KEY=VALUE}s, which win, or command options).
         */
        public ChildProcess start(String name, List<String> command, List<String> args) throws IOException {
            List<String> line = new ArrayList<>();
            line.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            line.add("-Xmx" + maxHeap);
            line.add("-XX:+ExitOnOutOfMemoryError");
            line.add("-cp");
            line.add(System.getProperty("java.class.path"));
            line.add("dev.embedloop.cli.Cli");
            line.addAll(command);
            line.addAll(List.of(
                    "--set", "kafka.bootstrap.servers=" + bootstrapServers,
                    "--set", "qdrant.port=" + qdrantPort,
                    "--set", "model=" + model,
                    // several services on one host: the management port of each is any free one
                    "--set", "management.port=0"));
            line.addAll(args);
            Path file = log(name);
            Files.createDirectories(file.getParent());
            long launched = System.nanoTime();
            Process process = new ProcessBuilder(line)
                    .redirectErrorStream(true)
                    .redirectOutput(file.toFile())
                    .start();
            return new ChildProcess(name, process, file, launched);
        }

        /** {@link #start} and wait until it exits; fails unless it exits with 0 within {@code timeout}. */
        public ChildProcess run(String name, List<String> command, List<String> args, Duration timeout)
                throws IOException, InterruptedException {
            ChildProcess child = start(name, command, args);
            int code = child.awaitExit(timeout);
            if (code != 0) {
                throw new AssertionError(name + " exited with " + code + "; its log (" + child.log + "):\n"
                        + child.logText());
            }
            return child;
        }
    }

    public String name() {
        return name;
    }

    public Process process() {
        return process;
    }

    public Path log() {
        return log;
    }

    /** When it was launched, {@link System#nanoTime()}. */
    public long launchedNanos() {
        return launchedNanos;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Its output so far ("" before it wrote anything). */
    public String logText() {
        try {
            // lenient decoding: a line being written may end mid-character
            return Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes of output so far. */
    public long logBytes() {
        try {
            return Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean logContains(String text) {
        return logText().contains(text);
    }

    /** How often {@code text} occurs in its output so far. */
    public int countInLog(String text) {
        String all = logText();
        int n = 0;
        for (int i = all.indexOf(text); i >= 0; i = all.indexOf(text, i + text.length())) {
            n++;
        }
        return n;
    }

    /** Waits for it to exit; its exit code, or fails when it is still running after {@code timeout}. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " still running after " + timeout.toSeconds() + " s; its log (" + log + ")");
        }
        return process.exitValue();
    }

    /**
     * SIGTERM, then SIGKILL when it has not exited within {@code timeout}.
     *
     * @return whether it exited on SIGTERM alone
     */
    public boolean stop(Duration timeout) throws InterruptedException {
        if (!process.isAlive()) {
            return true;
        }
        process.destroy();
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return true;
        }
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        return false;
    }

    /** {@link #stop} with a 60 s deadline; never throws, so it fits {@code finally} blocks. */
    @Override
    public void close() {
        try {
            stop(STOP_TIMEOUT);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
