package dev.embedloop.feedback;

import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.DeadLetterHeaders;
import dev.embedloop.events.FeedbackError;
import java.util.Base64;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Builds dead-letter records for the record being processed: coordinates from the context, original bytes. */
final class DeadLetters {

    private DeadLetters() {}

    static DeadLetter letter(ProcessorContext<?, ?> context, FeedbackError code, String reason, String key,
            byte[] value, long timestamp) {
        RecordMetadata source = context.recordMetadata().orElse(null);
        return new DeadLetter(
                code.name(),
                reason,
                source == null ? null : source.topic(),
                source == null ? -1 : source.partition(),
                source == null ? -1 : source.offset(),
                timestamp,
                key,
                value == null ? null : Base64.getEncoder().encodeToString(value));
    }

    /** A record carrying {@code letter} as value, with the dead-letter headers. */
    static <V> Record<String, V> record(String key, V value, DeadLetter letter) {
        return new Record<>(key, value, letter.timestamp(), DeadLetterHeaders.of(letter));
    }

    static String where(DeadLetter letter) {
        return letter.topic() + "-" + letter.partition() + "@" + letter.offset();
    }
}
