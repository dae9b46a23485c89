package dev.embedloop.index;

import java.util.Objects;

/**
 * What the index holds for one document, as acknowledged by Qdrant.
 *
 * @param version the document's version, null when its events carry none
 * @param contentHash hash of title, text and metadata
 * @param modelVersion the model that encoded it
 * @param chunks how many chunk points it has
 */
public record DocumentState(Long version, String contentHash, String modelVersion, int chunks) {
    public DocumentState {
        Objects.requireNonNull(contentHash, "contentHash");
        Objects.requireNonNull(modelVersion, "modelVersion");
    }
}
