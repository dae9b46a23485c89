package dev.embedloop.index;

import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.DeadLetterHeaders;
import dev.embedloop.events.DocumentValidator;
import dev.embedloop.events.Validation;
import dev.embedloop.metrics.LogContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses and validates raw document records. In: key and value bytes of the documents topic.
 * Out: a {@link DocumentChange} to the index processor, or a {@link DeadLetter} (JSON body and
 * headers, original bytes kept) to the dead-letter sink. Never throws on bad input.
 */
final class ValidateProcessor implements Processor<byte[], byte[], byte[], Object> {

    private static final Logger LOG = LoggerFactory.getLogger(ValidateProcessor.class);

    private final DocumentValidator validator;
    private final String indexNode;
    private final String deadLetterNode;
    private final IndexStats stats;
    private ProcessorContext<byte[], Object> context;

    ValidateProcessor(DocumentValidator validator, String indexNode, String deadLetterNode, IndexStats stats) {
        this.validator = validator;
        this.indexNode = indexNode;
        this.deadLetterNode = deadLetterNode;
        this.stats = stats;
    }

    @Override
    public void init(ProcessorContext<byte[], Object> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        stats.onReceived();
        Validation result = validator.validate(record.key(), record.value());
        if (result instanceof Validation.Valid valid) {
            context.forward(record.withValue(DocumentChange.upsert(valid.document())), indexNode);
        } else if (result instanceof Validation.Deleted deleted) {
            context.forward(record.withValue(DocumentChange.delete(deleted.id())), indexNode);
        } else if (result instanceof Validation.Invalid invalid) {
            deadLetter(record, invalid);
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, Validation.Invalid invalid) {
        RecordMetadata source = context.recordMetadata().orElse(null);
        String topic = source == null ? null : source.topic();
        int partition = source == null ? -1 : source.partition();
        long offset = source == null ? -1 : source.offset();
        DeadLetter letter = new DeadLetter(
                invalid.code().name(),
                invalid.reason(),
                topic,
                partition,
                offset,
                record.timestamp(),
                record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
                record.value() == null ? null : Base64.getEncoder().encodeToString(record.value()));
        // the reason may quote input, so the log line carries only coordinates and the class of error
        try (LogContext ignored = LogContext.document("validate", letter.key(), null)) {
            LOG.warn("dead-lettered record {}-{}@{}: {}", topic, partition, offset, invalid.code());
        }
        stats.onDeadLettered(invalid.code().name().toLowerCase(java.util.Locale.ROOT));
        context.forward(new Record<>(record.key(), (Object) letter, record.timestamp(), DeadLetterHeaders.of(letter)),
                deadLetterNode);
    }
}
