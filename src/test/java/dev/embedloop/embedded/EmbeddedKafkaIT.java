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
        try (EmbeddedKafka kafka = startOnAFixedPort(null)) {
            int port = Integer.parseInt(kafka.bootstrapServers().substring("localhost:".length()));
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

    @Test
    void shouldKeepTopicsRecordsAndOffsetsAcrossARestartWithADataDirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        EmbeddedKafka first = startOnAFixedPort(dir);
        int port = Integer.parseInt(first.bootstrapServers().substring("localhost:".length()));
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + port);
        try (EmbeddedKafka kafka = first) {
            try (Admin admin = Admin.create(props)) {
                admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            produce(props, "before-restart");
            kafka.restart(); // same JVM, same ports, same log
            assertThat(topics(props)).contains("kept");
            produce(props, "after-restart");
            assertThat(readAll(props)).containsExactly("before-restart", "after-restart");
        }
        // a new broker process on the same directory (what `embedded --kafka-data DIR` does after a restart)
        try (EmbeddedKafka again = EmbeddedKafka.start(port, 2_000_000, dir)) {
            assertThat(readAll(props)).containsExactly("before-restart", "after-restart");
        }
        assertThat(dir.resolve("log")).exists();
    }

    /**
     * A broker on a fixed port, with no probe-then-rebind race: it asks for a random port in a
     * high range straight away and takes another only when the broker itself reports that one taken.
     */
    private static EmbeddedKafka startOnAFixedPort(java.nio.file.Path dir) {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; ; attempt++) {
            int port = 20_000 + random.nextInt(20_000);
            try {
                return dir == null ? EmbeddedKafka.start(port, 2_000_000) : EmbeddedKafka.start(port, 2_000_000, dir);
            } catch (IllegalStateException e) {
                if (attempt >= 9 || !String.valueOf(e.getMessage()).contains("in use")) {
                    throw e;
                }
            }
        }
    }

    private static java.util.Set<String> topics(Properties props) throws Exception {
        try (Admin admin = Admin.create(props)) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS);
        }
    }

    private static void produce(Properties admin, String value) throws Exception {
        Properties props = new Properties();
        props.putAll(admin);
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(props,
                new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.StringSerializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("kept", "k", value)).get(60, TimeUnit.SECONDS);
        }
    }

    private static List<String> readAll(Properties admin) {
        Properties props = new Properties();
        props.putAll(admin);
        props.put("auto.offset.reset", "earliest");
        List<String> out = new java.util.ArrayList<>();
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(props,
                new org.apache.kafka.common.serialization.StringDeserializer(), new org.apache.kafka.common.serialization.StringDeserializer())) {
            var tp = new org.apache.kafka.common.TopicPartition("kept", 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (out.size() < 2 && System.nanoTime() < deadline) {
                consumer.poll(java.time.Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
        }
        return out;
    }
}
