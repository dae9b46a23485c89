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

    /** Classes of bad input, as written to the dead-letter topic. */
    enum ErrorCode {
        MISSING_KEY,
        INVALID_UTF8,
        BAD_JSON,
        WRONG_TYPE,
        MISSING_TEXT,
        ID_MISMATCH,
        TEXT_TOO_LARGE
    }
}
