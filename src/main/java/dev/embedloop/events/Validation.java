package dev.embedloop.events;

import java.util.Objects;

/** Outcome of validating one raw record of the documents topic: errors are values. */
public sealed interface Validation {

    /** A well-formed document to index. */
    record Valid(DocumentEvent document) implements Validation {
        public Valid {
            Objects.requireNonNull(document, "document");
        }
    }

    /** A tombstone: delete the document with this id. */
    record Deleted(String id) implements Validation {
        public Deleted {
            Objects.requireNonNull(id, "id");
        }
    }

    /** Not a valid event; goes to the dead-letter topic with its reason. */
    record Invalid(ErrorCode code, String reason) implements Validation {
        public Invalid {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Classes of bad input, as written to the dead-letter topic ({@code error}). The first group is
     * decided by the validator from the record alone; the last four by later stages, for a record
     * that passed validation but that this stage (or Qdrant) cannot take.
     */
    enum ErrorCode {
        /** The record has no key, or an empty one: the key must be the document id. */
        MISSING_KEY,
        /** The key is longer than {@code index.max-id-bytes}. */
        KEY_TOO_LARGE,
        /** The key or the value is not valid UTF-8. */
        INVALID_UTF8,
        /**
         * The value is not one strict JSON object: syntax errors, trailing tokens after the object,
         * duplicate field names, nesting deeper than the parser's limit, a value that is not an object.
         */
        BAD_JSON,
        /** A known field has the wrong JSON type (or a negative version). */
        WRONG_TYPE,
        /** A number that cannot be stored as given: a version beyond 64 bits, a metadata number that is
         * not a finite double or is an integer beyond 64 bits. */
        NUMBER_OUT_OF_RANGE,
        /** No text, a blank one, or one in which the model finds no token (only whitespace, control,
         * zero-width or formatting characters). */
        MISSING_TEXT,
        /** The {@code id} field differs from the record key. */
        ID_MISMATCH,
        /** The text is over {@code index.max-text-bytes}, or the event as stored would not fit a record. */
        TEXT_TOO_LARGE,
        /** The title is over {@code index.max-title-bytes}. */
        TITLE_TOO_LARGE,
        /** Metadata nested deeper than {@code index.max-metadata-depth} (Qdrant's protobuf limit is lower
         * than JSON's). */
        METADATA_TOO_DEEP,
        /** Metadata over {@code index.max-metadata-bytes} as JSON. */
        METADATA_TOO_LARGE,
        /** A metadata field name longer than {@code index.max-metadata-key-bytes}. */
        METADATA_KEY_TOO_LONG,
        /** The chunker failed on this document's text (a bug on this input, isolated to the record). */
        CHUNK_FAILED,
        /** The encoder failed on this document's text while it encodes other texts. */
        ENCODE_FAILED,
        /** Qdrant refused this document's points (or its delete) for good: invalid argument, a request
         * it cannot decode or that is too large, a dimension mismatch. */
        QDRANT_REJECTED,
        /** Our own code failed on this record in a way no other class describes. */
        INTERNAL_ERROR
    }
}
