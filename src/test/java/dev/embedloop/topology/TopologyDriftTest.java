package dev.embedloop.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.config.ConfigLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The topology descriptions committed under topology/ must match the code. When a change of shape
 * is intended, regenerate them: {@code ./embedloop topology --write topology}.
 */
class TopologyDriftTest {

    @Test
    void shouldMatchTheCommittedTopologyDescriptions() throws Exception {
        Map<String, String> current = Topologies.describe(ConfigLoader.defaults());
        assertThat(current).isNotEmpty();
        for (Map.Entry<String, String> e : current.entrySet()) {
            Path committed = Path.of("topology", e.getKey());
            assertThat(committed).as("committed description %s", committed).exists();
            assertThat(e.getValue())
                    .as("topology/%s drifted from the code; regenerate with: ./embedloop topology --write topology", e.getKey())
                    .isEqualTo(Files.readString(committed, StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldNameEveryNodeAndStore() {
        for (String description : Topologies.describe(ConfigLoader.defaults()).values()) {
            // generated names look like KSTREAM-FILTER-0000000003 or KSTREAM-AGGREGATE-STATE-STORE-0000000004
            assertThat(description).doesNotContainPattern("[A-Z]+-[A-Z-]*\\d{10}");
        }
    }
}
