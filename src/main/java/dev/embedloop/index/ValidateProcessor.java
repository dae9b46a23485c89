package dev.embedloop.index;

import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.DeadLetterFactory;
import dev.embedloop.events.DocumentValidator;
import dev.embedloop.events.Validation;
import dev.embedloop.metrics.LogContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses and validates raw document records. In: key and value bytes of the documents topic.
 * Out: a {@link DocumentChange} (with the record's coordinates) to the index processor, or a
 * {@link DeadLetter} (JSON body and headers, original bytes kept up to the configured size) to the
 * dead-letter sink. Never throws on bad input: should the validator itself fail on a record, that
 * record is dead-lettered as {@code INTERNAL_ERROR} and the stream moves on.
 */
final class ValidateProcessor implements Processor<byte[], byte[], byte[], Object> {

    private static final Logger LOG = LoggerFactory.getLogger(ValidateProcessor.class);

    private final DocumentValidator validator;
    private final DeadLetterFactory letters;
    private final String indexNode;
    private final String deadLetterNode;
    private final IndexStats stats;
    private ProcessorContext<byte[], Object> context;

    ValidateProcessor(DocumentValidator validator, DeadLetterFactory letters, String indexNode, String deadLetterNode,
            IndexStats stats) {
        this.validator = validator;
        this.letters = letters;
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
        Validation result;
        try {
            result = validator.validate(record.key(), record.value());
        } catch (RuntimeException | StackOverflowError e) {
            // a bug of ours on this input: isolate it to the record instead of failing the thread on every restart
            LOG.error("validator failed on record {}: {}", where(), e.toString());
            result = new Validation.Invalid(Validation.ErrorCode.INTERNAL_ERROR,
                    "the validator failed on this record: " + e.getClass().getSimpleName());
        }
        DeadLetterFactory.Source source = source(record);
        if (result instanceof Validation.Valid valid) {
            context.forward(record.withValue(DocumentChange.upsert(valid.document()).from(source)), indexNode);
        } else if (result instanceof Validation.Deleted deleted) {
            context.forward(record.withValue(DocumentChange.delete(deleted.id()).from(source)), indexNode);
        } else if (result instanceof Validation.Invalid invalid) {
            DeadLetterFactory.Letter letter = letters.letter(invalid.code(), DeadLetterFactory.Stage.VALIDATE,
                    invalid.reason(), source, record.key(), record.value(), DeadLetterFactory.ORIGIN_RECORD);
            // the reason may quote input, so the log line carries only coordinates and the class of error
            String key = record.key() == null ? null : new String(record.key(), java.nio.charset.StandardCharsets.UTF_8);
            try (LogContext ignored = LogContext.document("validate", key, null)) {
                LOG.warn("dead-lettered record {}: {}", where(), invalid.code());
            }
            stats.onDeadLettered(invalid.code().name());
            context.forward(new Record<>(letter.key(), (Object) letter.body(), Math.max(0, record.timestamp()),
                    letter.headers()), deadLetterNode);
        }
    }

    private DeadLetterFactory.Source source(Record<byte[], byte[]> record) {
        RecordMetadata m = context.recordMetadata().orElse(null);
        return m == null ? new DeadLetterFactory.Source(null, -1, -1, record.timestamp())
                : new DeadLetterFactory.Source(m.topic(), m.partition(), m.offset(), record.timestamp());
    }

    private String where() {
        return context.recordMetadata().map(m -> m.topic() + "-" + m.partition() + "@" + m.offset()).orElse("?");
    }
}
