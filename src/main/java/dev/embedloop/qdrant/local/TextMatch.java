package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.JsonWithInt.Value;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Qdrant's full-text conditions on string values.
 *
 * <p>Without a full-text index (Qdrant's {@code condition_checker.rs}): {@code text} and {@code phrase} match
 * when the value contains the query as a case-sensitive substring ({@code "ell"} matches "Hello" and "shell"),
 * {@code text_any} when it contains any whitespace-separated query word as a substring. With one
 * ({@code full_text_index_read.rs}), both sides go through the index's {@link TextTokenizer}: {@code text}
 * needs every query token among the value's tokens, {@code text_any} one of them, {@code phrase} the tokens
 * consecutively and in order; a query without tokens matches nothing.
 */
final class TextMatch {

    private static final Pattern WHITESPACE = Pattern.compile("\\p{IsWhite_Space}+");

    private TextMatch() {
    }

    static Predicate<Value> substring(String text) {
        return v -> v.hasStringValue() && v.getStringValue().contains(text);
    }

    static Predicate<Value> anyWord(String text) {
        List<String> words = WHITESPACE.splitAsStream(text).filter(w -> !w.isEmpty()).toList();
        return v -> {
            if (!v.hasStringValue()) {
                return false;
            }
            for (String w : words) {
                if (v.getStringValue().contains(w)) {
                    return true;
                }
            }
            return false;
        };
    }

    static Predicate<Value> allTokens(TextTokenizer tokenizer, String text) {
        Set<String> query = new HashSet<>(tokenizer.query(text));
        return v -> v.hasStringValue() && !query.isEmpty()
                && new HashSet<>(tokenizer.document(v.getStringValue())).containsAll(query);
    }

    static Predicate<Value> anyToken(TextTokenizer tokenizer, String text) {
        Set<String> query = new HashSet<>(tokenizer.query(text));
        return v -> {
            if (!v.hasStringValue() || query.isEmpty()) {
                return false;
            }
            for (String token : tokenizer.document(v.getStringValue())) {
                if (query.contains(token)) {
                    return true;
                }
            }
            return false;
        };
    }

    static Predicate<Value> phrase(TextTokenizer tokenizer, String text) {
        List<String> phrase = tokenizer.document(text);
        return v -> v.hasStringValue() && !phrase.isEmpty()
                && Collections.indexOfSubList(tokenizer.document(v.getStringValue()), phrase) >= 0;
    }
}
