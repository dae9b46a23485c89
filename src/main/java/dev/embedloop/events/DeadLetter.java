package dev.embedloop.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * The JSON body of a dead-letter record: why the input was refused, where it came from, and the
 * original bytes (base64, so invalid UTF-8 survives). The same facts travel as headers too, see
 * {@link DeadLetterHeaders}.
 */
public record DeadLetter(
        @JsonProperty("error") String error,
        @JsonProperty("reason") String reason,
        @JsonProperty("topic") String topic,
        @JsonProperty("partition") int partition,
        @JsonProperty("offset") long offset,
        @JsonProperty("timestamp") long timestamp,
        @JsonProperty("key") String key,
        @JsonProperty("value_base64") String valueBase64) {

    public DeadLetter {
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(reason, "reason");
    }
}
