package dev.embedloop.events;

/**
 * Error codes of the feedback dead-letter topic, written as the {@code error} field and the
 * {@code embedloop.dlq.error} header. The {@code reason} field and header start with the
 * lower-case code ({@code late: …}, {@code no_impression: …}).
 */
public enum FeedbackError {
    /** A null value (tombstone) on an event topic. */
    MISSING_VALUE,
    /** The value is not JSON (or not UTF-8). */
    BAD_JSON,
    /** A field has the wrong JSON type, or the value is not an object. */
    WRONG_TYPE,
    /** A required field is absent. */
    MISSING_FIELD,
    /** A field breaks a rule of the schema (blank id, rank below 1, repeated rank, negative time …). */
    INVALID_FIELD,
    /** The record key is absent or differs from the {@code query_id} of the body (co-partitioning needs it). */
    KEY_MISMATCH,
    /** An impression whose query_id is already pending or recently closed. */
    DUPLICATE_IMPRESSION,
    /** A click whose query_id has no impression. */
    NO_IMPRESSION,
    /** A click that came after its impression's window closed. */
    LATE,
    /** A click on a document the impression did not show. */
    NOT_SHOWN;

    /** The code as it starts the reason text: lower case. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
