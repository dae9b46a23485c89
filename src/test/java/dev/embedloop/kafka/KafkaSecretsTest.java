package dev.embedloop.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.config.ConfigKeys;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** Every Kafka setting Kafka itself treats as a password is masked by Embedloop, under every prefix. */
class KafkaSecretsTest {

    private static Set<String> kafkaPasswords() {
        Set<String> out = new TreeSet<>();
        for (ConfigDef def : new ConfigDef[] {ProducerConfig.configDef(), ConsumerConfig.configDef(),
                AdminClientConfig.configDef(), StreamsConfig.configDef()}) {
            def.configKeys().values().stream().filter(k -> k.type == ConfigDef.Type.PASSWORD).forEach(k -> out.add(k.name));
        }
        return out;
    }

    @Test
    void shouldListEveryPasswordSettingOfKafkasOwnConfigDefs() {
        assertThat(kafkaPasswords()).isNotEmpty();
        assertThat(ConfigKeys.KAFKA_PASSWORDS)
                .as("config/ConfigKeys.KAFKA_PASSWORDS must list every Type.PASSWORD key of this Kafka version")
                .containsAll(kafkaPasswords());
    }

    @Test
    void shouldMaskEveryKafkaPasswordAlsoBehindClientAndListenerPrefixes() {
        for (String name : kafkaPasswords()) {
            for (String prefix : new String[] {"", "producer.", "consumer.", "main.consumer.", "restore.consumer.",
                    "global.consumer.", "admin.", "listener.name.sasl_ssl.", "listener.name.ssl.plain."}) {
                assertThat(ConfigKeys.isSecret("kafka." + prefix + name)).as("kafka.%s%s", prefix, name).isTrue();
            }
        }
    }

    @Test
    void shouldMaskKeyMaterialAndPassphrasesButNotPublicSettings() {
        for (String name : new String[] {"kafka.ssl.keystore.key", "kafka.sasl.oauthbearer.assertion.private.key.passphrase",
                "kafka.sasl.oauthbearer.assertion.private.key.file.passphrase", "kafka.some.plugin.private.key",
                "kafka.sasl.oauthbearer.client.credentials.client.secret", "kafka.sasl.login.token", "qdrant.api-key",
                "kafka.custom.signing-key", "kafka.custom.hmac.secret"}) {
            assertThat(ConfigKeys.isSecret(name)).as(name).isTrue();
        }
        for (String name : new String[] {"kafka.bootstrap.servers", "kafka.ssl.truststore.location", "kafka.ssl.keystore.type",
                "kafka.security.protocol", "kafka.sasl.mechanism", "kafka.key.serializer", "chunk.overlap-tokens",
                "qdrant.host", "kafka.ssl.endpoint.identification.algorithm"}) {
            assertThat(ConfigKeys.isSecret(name)).as(name).isFalse();
        }
    }

    @Test
    void shouldNeverDescribeASecretValue() {
        Map<String, String> flags = new TreeMap<>();
        for (String name : kafkaPasswords()) {
            flags.put("kafka." + name, "distinctive-" + name.hashCode());
            flags.put("kafka.producer." + name, "distinctive-p-" + name.hashCode());
        }
        flags.put("qdrant.api-key", "distinctive-qdrant");
        EmbedloopConfig cfg = ConfigLoader.load(null, Map.of(), flags);
        String described = cfg.describe().toString() + cfg + cfg.qdrant();
        flags.values().forEach(v -> assertThat(described).doesNotContain(v));
        assertThat(cfg.kafkaProperties()).containsEntry("ssl.keystore.key", "distinctive-" + "ssl.keystore.key".hashCode());
    }

    @Test
    void shouldMaskEveryDeclaredKeyThatLooksLikeASecret() {
        ConfigKeys.ALL.forEach(k -> {
            String n = k.name();
            if (n.contains("password") || n.contains("secret") || n.endsWith("-key") || n.endsWith(".key") || n.contains("hmac")) {
                assertThat(ConfigKeys.isSecret(n)).as(n).isTrue();
            }
        });
    }
}
