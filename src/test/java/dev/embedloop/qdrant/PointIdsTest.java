package dev.embedloop.qdrant;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PointIdsTest {

    @Test
    void shouldGiveTheSameChunkTheSameIdEveryTime() {
        assertThat(PointIds.of("doc-1", 3)).isEqualTo(PointIds.of("doc-1", 3));
        assertThat(PointIds.of("doc-1", 3).version()).isEqualTo(3); // name-based
    }

    @Test
    void shouldNotCollideAcrossDocumentsAndChunks() {
        Set<UUID> ids = new HashSet<>();
        for (int d = 0; d < 200; d++) {
            for (int c = 0; c < 20; c++) {
                ids.add(PointIds.of("doc-" + d, c));
            }
        }
        assertThat(ids).hasSize(4000);
        // ids that would collide under naive concatenation
        assertThat(PointIds.of("a/1", 2)).isNotEqualTo(PointIds.of("a", 12));
        assertThat(PointIds.of("a/1", 2)).isNotEqualTo(PointIds.of("a/", 12));
    }
}
