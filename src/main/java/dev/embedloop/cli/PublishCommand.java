package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.publish.Publisher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = "Publish documents to the documents topic from a JSON-lines file (Embedloop events or a BEIR corpus.jsonl), or delete documents.")
final class PublishCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "JSON lines: {\"id\",\"title\",\"text\",\"metadata\",\"version\"} or BEIR {\"_id\",\"title\",\"text\"}.")
    Path file;

    @Option(names = "--delete", paramLabel = "ID", description = "Publish a tombstone for this document id. Repeatable.")
    List<String> deletes = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (file == null && deletes.isEmpty()) {
            throw new IllegalArgumentException("give --file FILE and/or --delete ID");
        }
        if (file != null && !Files.isReadable(file)) {
            throw new IllegalArgumentException("cannot read " + file);
        }
        EmbedloopConfig cfg = config.load();
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
        try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes())) {
            if (file != null) {
                publisher.publishFile(file, System.err);
            }
            for (String id : deletes) {
                publisher.delete(id);
                System.out.println("deleted " + id);
            }
        }
        return 0;
    }
}
