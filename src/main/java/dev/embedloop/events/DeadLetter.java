package dev.embedloop.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * The JSON body of a dead-letter record: why the input was refused, where it came from, and the
 * original bytes (base64, so invalid UTF-8 survives). The same facts travel as headers too, see
 * {@link DeadLetterHeaders}.
 *
 * <p>The document indexer's letters ({@link DeadLetterFactory}) also say at which {@code stage} the
 * record failed and are bounded in size: a value longer than the configured limit is kept as its
 * first bytes ({@code value_truncated} true) with its full {@code value_length} and
 * {@code value_sha256}; the original stays at {@code topic}/{@code partition}/{@code offset}.
 *
 * @param stage validate, chunk, encode, write (or null for letters of other topologies)
 * @param valueLength bytes of the whole original value, null when there was none
 * @param valueSha256 hex SHA-256 of the whole original value, null when there was none
 * @param valueTruncated true when {@code value_base64} holds only the first bytes of the value
 * @param valueOrigin {@code record} (the bytes as read from the topic) or {@code event} (the event as
 *     the indexer accepted it, re-serialised, for failures after validation)
 * @param keyTruncated true when {@code key} (and the record key) hold only the first bytes of the key
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(
        @JsonProperty("error") String error,
        @JsonProperty("reason") String reason,
        @JsonProperty("topic") String topic,
        @JsonProperty("partition") int partition,
        @JsonProperty("offset") long offset,
        @JsonProperty("timestamp") long timestamp,
        @JsonProperty("key") String key,
        @JsonProperty("value_base64") String valueBase64,
        @JsonProperty("stage") String stage,
        @JsonProperty("value_length") Long valueLength,
        @JsonProperty("value_sha256") String valueSha256,
        @JsonProperty("value_truncated") Boolean valueTruncated,
        @JsonProperty("value_origin") String valueOrigin,
        @JsonProperty("key_truncated") Boolean keyTruncated) {

    public DeadLetter {
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(reason, "reason");
    }

    /** A letter without stage and size facts (the feedback topology's and the search service's). */
    public DeadLetter(String error, String reason, String topic, int partition, long offset, long timestamp, String key,
            String valueBase64) {
        this(error, reason, topic, partition, offset, timestamp, key, valueBase64, null, null, null, null, null, null);
    }
}
