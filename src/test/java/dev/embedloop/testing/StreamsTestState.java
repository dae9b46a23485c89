package dev.embedloop.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A private Kafka Streams state directory for a {@code TopologyTestDriver}: the default,
 * {@code /tmp/kafka-streams/<application.id>}, is shared by every build on the machine, and two
 * builds running the same test lock each other's RocksDB stores. Removed when the JVM exits.
 */
public final class StreamsTestState {

    private StreamsTestState() {}

    public static String newDirectory() {
        try {
            Path dir = Files.createTempDirectory("embedloop-ttd-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
            return dir.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort at exit
        }
    }
}
