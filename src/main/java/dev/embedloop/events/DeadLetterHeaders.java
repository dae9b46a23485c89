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
    /** validate, chunk, encode or write: the stage of the indexer that refused the record. */
    public static final String STAGE = "embedloop.dlq.stage";
    /** Bytes of the whole original value. */
    public static final String VALUE_LENGTH = "embedloop.dlq.value-length";
    /** Hex SHA-256 of the whole original value. */
    public static final String VALUE_SHA256 = "embedloop.dlq.value-sha256";
    /** "true" when the body carries only the first bytes of the value. */
    public static final String VALUE_TRUNCATED = "embedloop.dlq.value-truncated";

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
        add(headers, STAGE, letter.stage());
        add(headers, VALUE_LENGTH, letter.valueLength() == null ? null : letter.valueLength().toString());
        add(headers, VALUE_SHA256, letter.valueSha256());
        add(headers, VALUE_TRUNCATED, letter.valueTruncated() == null ? null : letter.valueTruncated().toString());
        return headers;
    }

    private static void add(Headers headers, String name, String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
