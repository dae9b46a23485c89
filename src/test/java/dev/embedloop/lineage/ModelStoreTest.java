package dev.embedloop.lineage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.events.JsonSerde;
import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model-updates record that carries its adapter: read without any model directory, checked
 * against its checksum, carried on by a rollback, and sized for the topic.
 */
class ModelStoreTest {

    private static final int D = 384;

    @Test
    void shouldReadTheAdapterFromTheRecordWithoutADirectory() throws IOException {
        LinearAdapter adapter = adapter(3);
        ModelUpdate update = update(adapter, ModelStore.sha256(adapter.toBytes()));
        assertThat(ModelStore.adapter(update)).isEqualTo(adapter);
        ModelLineage lineage = ModelLineage.base("base").with(update);
        assertThat(ModelStore.documentAdapter(lineage, "base-a1")).contains(adapter);
    }

    @Test
    void shouldRefuseAnAdapterThatDoesNotMatchItsChecksum() {
        ModelUpdate update = update(adapter(3), ModelStore.sha256(adapter(4).toBytes()));
        assertThatThrownBy(() -> ModelStore.adapter(update)).isInstanceOf(IOException.class).hasMessageContaining("sha-256");
    }

    @Test
    void shouldKeepTheArtifactThroughJsonAndARollbackAndFitTheRecordLimit() throws IOException {
        LinearAdapter adapter = adapter(5);
        ModelUpdate update = update(adapter, ModelStore.sha256(adapter.toBytes()));
        JsonSerde<ModelUpdate> serde = JsonSerde.of(ModelUpdate.class);
        byte[] json = serde.serializer().serialize("model-updates", update.rolledBack());
        ModelUpdate read = serde.deserializer().deserialize("model-updates", json);
        assertThat(read.promoted()).isFalse();
        assertThat(read.artifact()).isEqualTo(update.artifact());
        assertThat(ModelStore.adapter(read)).isEqualTo(adapter);
        // 384-d: about 0.8 MB of JSON, within the record limit
        assertThat(json.length).isBetween(700_000, ModelUpdate.MAX_RECORD_BYTES);
    }

    @Test
    void shouldReadARecordWithoutArtifactFromItsPath(@TempDir Path dir) throws IOException {
        LinearAdapter adapter = adapter(6);
        adapter.save(dir.resolve(ModelStore.ADAPTER_FILE));
        ModelUpdate update = new ModelUpdate("base-a1", dir.toString(), ModelUpdate.SYMMETRIC, "base", null, "base",
                "base-a1", 1, ModelUpdate.PROMOTED);
        assertThat(ModelStore.adapter(update)).isEqualTo(adapter);
        // a path-based record is served from the shared directory itself, never rebuilt
        assertThatThrownBy(() -> ModelStore.materialise(update, dir.resolve("local"), null))
                .hasMessageContaining(dir.toString());
        assertThat(dir.resolve("local")).doesNotExist();
    }

    private static ModelUpdate update(LinearAdapter adapter, String claimedSha) {
        return new ModelUpdate("base-a1", "/nowhere/base-a1", ModelUpdate.SYMMETRIC, "base", null, "base", "base-a1", 1,
                ModelUpdate.PROMOTED).withArtifact(new ModelArtifact(
                        Base64.getEncoder().encodeToString(adapter.toBytes()), claimedSha, "0".repeat(64), null));
    }

    private static LinearAdapter adapter(long seed) {
        Random random = new Random(seed);
        float[] w = new float[D * D];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() * 0.05) + (i % (D + 1) == 0 ? 1f : 0f);
        }
        return LinearAdapter.of(D, w, AdapterMode.SYMMETRIC, true);
    }

    /**
     * The trained-query list search services read from an under_test record: a list of keys is read
     * as such; a window of the wrong shape (no list, a list as text, an object, no window) lists
     * none and throws nothing.
     */
    @Test
    void shouldReadTheTrainedQueryKeysOfAWindowOfAnyShape() {
        com.fasterxml.jackson.databind.ObjectMapper json = dev.embedloop.events.Json.MAPPER;
        java.util.function.Function<String, ModelUpdate> withWindow = w -> new ModelUpdate("m-a1", "", ModelUpdate.QUERY_ONLY,
                "m", null, "m", "m", 1L, ModelUpdate.UNDER_TEST, w == null ? null : read(json, w), null);
        assertThat(withWindow.apply("{\"trained_queries\": [\"00aa\", \"11bb\", 7]}").trainedQueryKeys())
                .containsExactlyInAnyOrder("00aa", "11bb", "7");
        assertThat(withWindow.apply("{\"trained_queries\": []}").trainedQueryKeys()).isEmpty();
        for (String odd : new String[] {"{}", "{\"trained_queries\": \"00aa\"}", "{\"trained_queries\": {\"a\": 1}}",
                "[1, 2]", "\"text\"", "{\"trained_queries\": null}"}) {
            assertThat(withWindow.apply(odd).trainedQueryKeys()).as(odd).isNull();
        }
        assertThat(withWindow.apply(null).trainedQueryKeys()).isNull();
    }

    private static com.fasterxml.jackson.databind.JsonNode read(com.fasterxml.jackson.databind.ObjectMapper json, String s) {
        try {
            return json.readTree(s);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
