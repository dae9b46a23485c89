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
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the topics Embedloop reads and writes when they are missing and checks the existing ones. */
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
                // a record carries the model's adapter (d×d floats, base64): up to 8 MiB
                .configs(Map.of("cleanup.policy", "compact", "max.message.bytes", Integer.toString(8 * 1024 * 1024))));
    }

    /**
     * Creates the missing topics and checks the existing ones. Safe when several instances start at
     * the same moment: a topic another instance created meanwhile ({@code TopicExistsException})
     * counts as created. Every topic, existing or raced, must then have what Embedloop relies on:
     * the cleanup policy given here (compaction of documents and model updates, deletion of training
     * pairs) and, for a single-partition topic (the total order of model updates), one partition;
     * anything else stops start-up with a message naming the topic and the fix.
     *
     * @throws IllegalStateException when the broker cannot be reached or a topic does not fit
     */
    /**
     * System property the embedded mode sets in its JVM: its single broker cannot replicate, so a
     * replication factor of 1 is no mistake there and is not warned about.
     */
    public static final String EMBEDDED_PROPERTY = "embedloop.embedded";

    public static void ensure(Properties clientProperties, List<NewTopic> topics) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        List<String> misfits;
        try (Admin admin = Admin.create(KafkaClients.admin(props))) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            for (NewTopic topic : topics) {
                if (existing.contains(topic.name())) {
                    continue;
                }
                try {
                    admin.createTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
                    LOG.info("created topic {} ({} partitions)", topic.name(), topic.numPartitions());
                    if (topic.replicationFactor() == 1 && !Boolean.getBoolean(EMBEDDED_PROPERTY)) {
                        LOG.warn("created topic {} with replication factor 1: losing one broker loses it; "
                                + "set topics.replication-factor (3 in production)", topic.name());
                    }
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    LOG.info("topic {} was created by another instance meanwhile", topic.name());
                }
            }
            misfits = misfits(admin, topics);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("could not check or create the topics " + topics.stream().map(NewTopic::name).toList()
                    + " at " + clientProperties.getProperty("bootstrap.servers") + ": " + e.getMessage(), e);
        }
        if (!misfits.isEmpty()) {
            throw new IllegalStateException("existing topics do not fit Embedloop: " + String.join("; ", misfits)
                    + ". Delete and recreate them, change them with kafka-configs/kafka-topics, or set topics.* to other names.");
        }
    }

    /** What differs between the existing topics and what Embedloop needs of them. */
    private static List<String> misfits(Admin admin, List<NewTopic> topics) throws Exception {
        List<String> names = topics.stream().map(NewTopic::name).toList();
        List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<String, TopicDescription> descriptions;
        Map<ConfigResource, Config> configs;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                descriptions = admin.describeTopics(names).allTopicNames().get(60, TimeUnit.SECONDS);
                configs = admin.describeConfigs(resources).all().get(60, TimeUnit.SECONDS);
                break;
            } catch (ExecutionException e) {
                // a topic just created reaches the broker's metadata a moment later
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
        List<String> out = new ArrayList<>();
        for (NewTopic topic : topics) {
            TopicDescription description = descriptions.get(topic.name());
            if (topic.numPartitions() == 1 && description != null && description.partitions().size() != 1) {
                out.add(topic.name() + " has " + description.partitions().size() + " partitions, needs 1");
            }
            String policy = topic.configs() == null ? null : topic.configs().get(TopicConfig.CLEANUP_POLICY_CONFIG);
            Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()));
            ConfigEntry entry = config == null ? null : config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            // compact needs compaction (compact,delete adds retention: fine); delete must not compact
            if (policy != null && entry != null && entry.value() != null
                    && entry.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT) != policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                out.add(topic.name() + " has cleanup.policy=" + entry.value() + ", needs " + policy);
            }
        }
        return out;
    }

}
