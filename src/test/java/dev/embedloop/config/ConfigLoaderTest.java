package dev.embedloop.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.index.IndexSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    @Test
    void shouldUseDocumentedDefaults() {
        EmbedloopConfig cfg = ConfigLoader.defaults();
        assertThat(cfg.topics().documents()).isEqualTo("documents");
        assertThat(cfg.topics().deadLetter()).isEqualTo("documents.dlq");
        assertThat(cfg.qdrant().port()).isEqualTo(6334);
        assertThat(cfg.model()).isEqualTo("all-minilm-l6-v2");
        assertThat(cfg.encoder().parallelism()).isEqualTo(2);
        assertThat(cfg.encoder().batchSize()).isEqualTo(1);
        assertThat(IndexSettings.from(cfg).flushInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(cfg.bootstrapServers()).isEqualTo("localhost:9092");
    }

    @Test
    void shouldApplyFileThenEnvironmentThenFlags() {
        Properties file = new Properties();
        file.setProperty("qdrant.host", "from-file");
        file.setProperty("qdrant.port", "1111");
        file.setProperty("topics.documents", "file-docs");
        Map<String, String> env = Map.of(
                "EMBEDLOOP_QDRANT_PORT", "2222",
                "EMBEDLOOP_TOPICS_DOCUMENTS", "env-docs",
                "UNRELATED", "x");
        Map<String, String> flags = Map.of("topics.documents", "flag-docs");

        EmbedloopConfig cfg = ConfigLoader.load(file, env, flags);

        assertThat(cfg.qdrant().host()).isEqualTo("from-file");
        assertThat(cfg.qdrant().port()).isEqualTo(2222);
        assertThat(cfg.topics().documents()).isEqualTo("flag-docs");
        assertThat(IndexSettings.from(cfg).documentsTopic()).isEqualTo("flag-docs");
    }

    @Test
    void shouldPassKafkaPropertiesThroughIncludingSecurity() {
        Map<String, String> env = Map.of(
                "EMBEDLOOP_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "EMBEDLOOP_KAFKA_BOOTSTRAP_SERVERS", "broker:9093");
        Map<String, String> flags = Map.of("kafka.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"hunter2\";");

        EmbedloopConfig cfg = ConfigLoader.load(null, env, flags);

        assertThat(cfg.kafkaProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("bootstrap.servers", "broker:9093")
                .containsKey("sasl.jaas.config");
        assertThat(cfg.describe().get("kafka.sasl.jaas.config")).isEqualTo("****");
        assertThat(cfg.toString()).doesNotContain("hunter2");
    }

    @Test
    void shouldNeverPrintTheQdrantApiKey() {
        EmbedloopConfig cfg = ConfigLoader.load(null, Map.of("EMBEDLOOP_QDRANT_API_KEY", "s3cret-key"), Map.of());
        assertThat(cfg.qdrant().apiKey()).isEqualTo("s3cret-key");
        assertThat(cfg.qdrant().toString()).doesNotContain("s3cret-key");
        assertThat(cfg.toString()).doesNotContain("s3cret-key");
    }

    @Test
    void shouldNameTheKeyOfABadValue() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("qdrant.port", "abc")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("qdrant.port")
                .hasMessageContaining("abc");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("qdrant.port", "70000")))
                .hasMessageContaining("qdrant.port");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("EMBEDLOOP_CHUNK_ENABLED", "maybe"), Map.of()))
                .hasMessageContaining("chunk.enabled");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("topics.documents", "bad topic!")))
                .hasMessageContaining("topics.documents");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("topics.dead-letter", "documents")))
                .hasMessageContaining("topics.dead-letter");
    }

    @Test
    void shouldRejectUnknownKeysWithTheirName() {
        Properties file = new Properties();
        file.setProperty("qdrant.hots", "typo");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("qdrant.hots");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("index.batchsize", "3")))
                .hasMessageContaining("index.batchsize");
    }

    @Test
    void shouldMapEveryKeyToItsEnvironmentName() {
        assertThat(ConfigKeys.get("qdrant.api-key").envName()).isEqualTo("EMBEDLOOP_QDRANT_API_KEY");
        assertThat(ConfigKeys.get("index.max-text-bytes").envName()).isEqualTo("EMBEDLOOP_INDEX_MAX_TEXT_BYTES");
    }
}
