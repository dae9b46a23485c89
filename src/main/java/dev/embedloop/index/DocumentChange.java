package dev.embedloop.index;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.embedloop.events.DeadLetterFactory;
import dev.embedloop.events.DocumentEvent;
import java.util.Objects;

/**
 * A change accepted by the guard and waiting to be written: an upsert ({@code document} set) or a
 * delete ({@code document} null). Kept in the changelogged pending store until Qdrant acknowledged
 * it, so a crash between the offset commit and the write loses nothing.
 *
 * @param source where the record came from (topic, partition, offset, timestamp), so that a change
 *     dead-lettered after validation points at its original; null in changes stored by older versions
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DocumentChange(String id, DocumentEvent document, DeadLetterFactory.Source source) {

    public DocumentChange {
        Objects.requireNonNull(id, "id");
        if (document != null && !document.id().equals(id)) {
            throw new IllegalArgumentException("document id " + document.id() + " differs from " + id);
        }
    }

    public DocumentChange(String id, DocumentEvent document) {
        this(id, document, null);
    }

    public static DocumentChange upsert(DocumentEvent document) {
        return new DocumentChange(document.id(), document, null);
    }

    public static DocumentChange delete(String id) {
        return new DocumentChange(id, null, null);
    }

    /** This change, remembering where its record came from. */
    public DocumentChange from(DeadLetterFactory.Source from) {
        return new DocumentChange(id, document, from);
    }

    @JsonIgnore
    public boolean isDelete() {
        return document == null;
    }
}
