package dev.embedloop.kafka;

import dev.embedloop.config.EmbedloopConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the topics Embedloop reads and writes when they are missing; existing ones are left alone. */
public final class KafkaTopics {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaTopics.class);

    private KafkaTopics() {}

    /** The documents and dead-letter topics, sized for the largest accepted document. */
    public static List<NewTopic> indexingTopics(EmbedloopConfig cfg) {
        String maxBytes = Long.toString(cfg.topics().maxRecordBytes());
        EmbedloopConfig.Topics t = cfg.topics();
        return List.of(
                // compacted: the latest event per document is what the feedback topology reads back
                new NewTopic(t.documents(), t.partitions(), t.replicationFactor())
                        .configs(Map.of("max.message.bytes", maxBytes, "cleanup.policy", "compact")),
                new NewTopic(t.deadLetter(), t.partitions(), t.replicationFactor())
                        .configs(Map.of("max.message.bytes", maxBytes)));
    }

    /**
     * The topics of the search service and the feedback topology. Impressions and clicks must be
     * co-partitioned by query id, so they get the same partition count; training pairs share
     * query-id keys and must not be compacted.
     */
    public static List<NewTopic> feedbackTopics(EmbedloopConfig cfg) {
        EmbedloopConfig.Topics t = cfg.topics();
        return List.of(
                new NewTopic(t.impressions(), t.partitions(), t.replicationFactor()),
                new NewTopic(t.clicks(), t.partitions(), t.replicationFactor()),
                new NewTopic(t.trainingPairs(), t.partitions(), t.replicationFactor())
                        .configs(Map.of("cleanup.policy", "delete")),
                new NewTopic(t.clicksDeadLetter(), t.partitions(), t.replicationFactor()),
                new NewTopic(cfg.reader().name("topics.interleaving-outcomes"), t.partitions(), t.replicationFactor()));
    }

    /**
     * The model-updates topic: one partition (a total order of promotions and rollbacks) and
     * compacted by model version, so a follower reading it from the start sees every model once.
     */
    public static List<NewTopic> modelTopics(EmbedloopConfig cfg) {
        EmbedloopConfig.Topics t = cfg.topics();
        return List.of(new NewTopic(t.modelUpdates(), 1, t.replicationFactor())
                .configs(Map.of("cleanup.policy", "compact")));
    }

    public static void ensure(Properties clientProperties, List<NewTopic> topics) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(KafkaClients.admin(props))) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (NewTopic topic : topics) {
                if (!existing.contains(topic.name())) {
                    missing.add(topic);
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            for (NewTopic topic : missing) {
                try {
                    admin.createTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
                    LOG.info("created topic {} ({} partitions)", topic.name(), topic.numPartitions());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("could not check or create the topics " + topics.stream().map(NewTopic::name).toList()
                    + " at " + clientProperties.getProperty("bootstrap.servers") + ": " + e.getMessage(), e);
        }
    }

}
