package dev.embedloop.feedback;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * What the feedback documents store keeps of a document: its training text (title and text,
 * already cut to {@code maxTextChars}) and its version.
 *
 * @param text the training text
 * @param version the document's version, null when its events carry none
 */
record DocumentText(@JsonProperty("text") String text, @JsonProperty("version") Long version) {
    public DocumentText {
        Objects.requireNonNull(text, "text");
    }
}
