package dev.embedloop.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaIT {

    @Test
    void shouldServeClientsOnTheRequestedFixedPort() throws Exception {
        // no probe-then-rebind: ask for a fixed port straight away and take another only when the
        // broker itself reports that one as taken
        java.util.Random random = new java.util.Random();
        EmbeddedKafka started = null;
        int port = 0;
        for (int attempt = 0; started == null; attempt++) {
            port = 20_000 + random.nextInt(20_000);
            try {
                started = EmbeddedKafka.start(port, 2_000_000);
            } catch (IllegalStateException e) {
                if (attempt >= 9 || !String.valueOf(e.getMessage()).contains("in use")) {
                    throw e;
                }
            }
        }
        try (EmbeddedKafka kafka = started) {
            assertThat(kafka.bootstrapServers()).isEqualTo("localhost:" + port);
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + port);
            try (Admin admin = Admin.create(props)) {
                admin.createTopics(List.of(new NewTopic("fixed-port", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("fixed-port");
                assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
            }
        }
    }

    @Test
    void shouldAcceptRecordsLargerThanKafkasDefaultLimitWhenAsked() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0, 3_000_000)) {
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            try (Admin admin = Admin.create(props)) {
                Map<String, String> brokerConfig = new java.util.HashMap<>();
                admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                                org.apache.kafka.common.config.ConfigResource.Type.BROKER, "0")))
                        .all().get(30, TimeUnit.SECONDS)
                        .values().forEach(c -> c.entries().forEach(e -> brokerConfig.put(e.name(), e.value())));
                assertThat(brokerConfig).containsEntry("message.max.bytes", "3000000");
            }
        }
    }
}
