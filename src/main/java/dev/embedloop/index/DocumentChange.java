package dev.embedloop.index;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.embedloop.events.DocumentEvent;
import java.util.Objects;

/**
 * A change accepted by the guard and waiting to be written: an upsert ({@code document} set) or a
 * delete ({@code document} null). Kept in the changelogged pending store until Qdrant acknowledged
 * it, so a crash between the offset commit and the write loses nothing.
 */
public record DocumentChange(String id, DocumentEvent document) {

    public DocumentChange {
        Objects.requireNonNull(id, "id");
        if (document != null && !document.id().equals(id)) {
            throw new IllegalArgumentException("document id " + document.id() + " differs from " + id);
        }
    }

    public static DocumentChange upsert(DocumentEvent document) {
        return new DocumentChange(document.id(), document);
    }

    public static DocumentChange delete(String id) {
        return new DocumentChange(id, null);
    }

    @JsonIgnore
    public boolean isDelete() {
        return document == null;
    }
}
