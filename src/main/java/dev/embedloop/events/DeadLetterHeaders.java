package dev.embedloop.events;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Header names of dead-letter records, so consumers can route them without parsing the body. */
public final class DeadLetterHeaders {
    public static final String ERROR = "embedloop.dlq.error";
    public static final String REASON = "embedloop.dlq.reason";
    public static final String TOPIC = "embedloop.dlq.topic";
    public static final String PARTITION = "embedloop.dlq.partition";
    public static final String OFFSET = "embedloop.dlq.offset";
    public static final String TIMESTAMP = "embedloop.dlq.timestamp";

    private DeadLetterHeaders() {}

    /** The headers that describe {@code letter}. */
    public static Headers of(DeadLetter letter) {
        RecordHeaders headers = new RecordHeaders();
        add(headers, ERROR, letter.error());
        add(headers, REASON, letter.reason());
        add(headers, TOPIC, letter.topic());
        add(headers, PARTITION, Integer.toString(letter.partition()));
        add(headers, OFFSET, Long.toString(letter.offset()));
        add(headers, TIMESTAMP, Long.toString(letter.timestamp()));
        return headers;
    }

    private static void add(Headers headers, String name, String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
