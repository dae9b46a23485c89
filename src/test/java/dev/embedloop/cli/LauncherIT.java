package dev.embedloop.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@code embedloop} launcher as users run it. Under {@code LANG=C}, Java 17 decodes the
 * arguments as ASCII ("café" arrives as "caf??"); the launcher runs Java in a UTF-8 locale when the
 * machine has one.
 */
class LauncherIT {

    @Test
    void shouldPassNonAsciiArgumentsThroughUnderTheCLocale() throws Exception {
        assumeTrue(hasCUtf8(), "this machine has no C.UTF-8 locale to run in");
        Path log = Files.createDirectories(Path.of("target", "launcher-it")).resolve("config.log");
        ProcessBuilder pb = new ProcessBuilder("./embedloop", "config", "--set", "instance.id=café-北京")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("LC_"));
        env.put("LANG", "C");
        env.put("LC_ALL", "C");
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("config ended (log in %s)", log).isTrue();
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("instance.id=café-北京");
    }

    private static boolean hasCUtf8() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("locale", "-a").redirectErrorStream(true).start();
        String all = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        return List.of(all.split("\n")).stream().anyMatch(l -> l.trim().equalsIgnoreCase("C.UTF-8") || l.trim().equalsIgnoreCase("C.utf8"));
    }
}
