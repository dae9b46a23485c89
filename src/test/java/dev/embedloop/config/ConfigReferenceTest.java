package dev.embedloop.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration reference must list every key with its current default. */
class ConfigReferenceTest {

    @Test
    void shouldDocumentEveryKeyWithItsDefaultInTheReadme() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        for (ConfigKey key : ConfigKeys.ALL) {
            String row = "| `" + key.name() + "` | " + (key.defaultValue() == null ? "" : "`" + key.defaultValue() + "`") + " |";
            assertThat(readme).as("README row for %s (regenerate with ./embedloop config --reference)", key.name())
                    .contains(row);
        }
    }
}
