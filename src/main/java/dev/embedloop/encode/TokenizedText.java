package dev.embedloop.encode;

/**
 * One tokenized, truncated input for the model: token ids and token type ids, special tokens
 * included, no padding (the translator pads a batch to its longest member).
 */
record TokenizedText(long[] ids, long[] typeIds) {
    TokenizedText {
        if (ids.length != typeIds.length) {
            throw new IllegalArgumentException("ids and typeIds differ in length");
        }
    }

    int length() {
        return ids.length;
    }
}
