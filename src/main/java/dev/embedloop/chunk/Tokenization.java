package dev.embedloop.chunk;

import java.util.List;

/**
 * Splits text into the model's tokens, reporting where each token stands in the text.
 * Special tokens ([CLS], [SEP]) are not included.
 */
@FunctionalInterface
public interface Tokenization {

    /** Character span {@code [start, end)} of one token in the text it came from. */
    record Span(int start, int end) {
        public Span {
            if (start < 0 || end < start) {
                throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
            }
        }
    }

    /** The spans of the tokens of {@code text}, in order. */
    List<Span> spans(String text);
}
