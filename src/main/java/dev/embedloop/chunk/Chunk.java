package dev.embedloop.chunk;

import java.util.Objects;

/**
 * One piece of a document's text that fits the model's token window.
 *
 * @param index position of the chunk in its document, from 0
 * @param text the chunk's text, a substring of the document's text
 * @param tokens how many content tokens the chunk has
 */
public record Chunk(int index, String text, int tokens) {
    public Chunk {
        Objects.requireNonNull(text, "text");
        if (index < 0) {
            throw new IllegalArgumentException("chunk index must be >= 0, was " + index);
        }
    }
}
