package dev.embedloop.kafka;

import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The one place that turns the shared {@code kafka.*} settings (every key without its prefix)
 * into the properties of one kind of Kafka client.
 *
 * <p>The shared settings hold keys for several clients at once (the Streams application id and
 * state directory next to producer and security settings). Each client gets only the keys its own
 * {@code ConfigDef} declares, so no client warns about keys it does not know and a Streams-only key
 * never reaches a plain consumer; security settings ({@code security.*}, {@code sasl.*},
 * {@code ssl.*}) always pass, because custom login and engine classes may declare more of them.
 * The result is a fresh copy: callers add their own overrides to it.
 */
public final class KafkaClients {

    private KafkaClients() {}

    /** Properties for a {@code KafkaProducer}. */
    public static Properties producer(Properties kafka) {
        return only(kafka, ProducerConfig.configNames()::contains);
    }

    /** Properties for a {@code KafkaConsumer} (no group id: the caller sets its own). */
    public static Properties consumer(Properties kafka) {
        Properties props = only(kafka, ConsumerConfig.configNames()::contains);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return props;
    }

    /** Properties for an {@code Admin} client. */
    public static Properties admin(Properties kafka) {
        return only(kafka, AdminClientConfig.configNames()::contains);
    }

    /**
     * Properties for {@code KafkaStreams}: its own keys, the keys of the clients it embeds
     * (passed through by Streams to them) and the client-prefixed keys ({@code producer.},
     * {@code consumer.}, {@code main.consumer.}, …).
     */
    public static Properties streams(Properties kafka) {
        Set<String> streams = StreamsConfig.configDef().names();
        Predicate<String> known = key -> streams.contains(key)
                || ProducerConfig.configNames().contains(key)
                || ConsumerConfig.configNames().contains(key)
                || AdminClientConfig.configNames().contains(key)
                || key.startsWith(StreamsConfig.PRODUCER_PREFIX)
                || key.startsWith(StreamsConfig.CONSUMER_PREFIX)
                || key.startsWith(StreamsConfig.MAIN_CONSUMER_PREFIX)
                || key.startsWith(StreamsConfig.RESTORE_CONSUMER_PREFIX)
                || key.startsWith(StreamsConfig.GLOBAL_CONSUMER_PREFIX)
                || key.startsWith(StreamsConfig.ADMIN_CLIENT_PREFIX)
                || key.startsWith(StreamsConfig.TOPIC_PREFIX);
        return only(kafka, known);
    }

    private static Properties only(Properties kafka, Predicate<String> known) {
        Properties out = new Properties();
        kafka.forEach((k, v) -> {
            String key = k.toString();
            if (known.test(key) || isSecurity(key)) {
                out.put(key, v);
            }
        });
        return out;
    }

    private static boolean isSecurity(String key) {
        return key.startsWith("security.") || key.startsWith("sasl.") || key.startsWith("ssl.");
    }
}
