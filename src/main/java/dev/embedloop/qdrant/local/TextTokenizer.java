package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.TextIndexParams;
import io.qdrant.client.grpc.Collections.TokenizerType;
import java.text.BreakIterator;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The tokenizer of a full-text payload index, following Qdrant's {@code tokenizers/mod.rs} and
 * {@code tokens_processor.rs}.
 *
 * <p>{@code word} splits on every non-alphanumeric character, {@code whitespace} on whitespace, {@code prefix}
 * splits like {@code word} and indexes every prefix of each word from {@code min_token_len} (default 1) to
 * {@code max_token_len} characters (a query word is used whole, cut to {@code max_token_len}), and
 * {@code multilingual} segments by word boundaries (Java's {@link BreakIterator}, where Qdrant uses charabia:
 * the same for space-separated scripts, coarser for Chinese and Japanese) and folds diacritics. Each token is
 * then ascii-folded ({@code ascii_folding}), lowercased ({@code lowercase}, default true), dropped when it is a
 * custom stopword or shorter than {@code min_token_len} (or, except prefixes, longer than {@code max_token_len}).
 * Stemming and language stopword lists are not implemented: an index asking for them is refused.
 */
final class TextTokenizer {

    private static final Pattern NOT_ALPHANUMERIC = Pattern.compile("[^\\p{IsAlphabetic}\\p{N}]+");
    private static final Pattern WHITESPACE = Pattern.compile("\\p{IsWhite_Space}+");
    private static final Pattern MARKS = Pattern.compile("\\p{M}+");

    private final TokenizerType type;
    private final boolean lowercase;
    private final boolean asciiFolding;
    private final Integer minLength;
    private final Integer maxLength;
    private final Set<String> stopwords;

    TextTokenizer(TextIndexParams params) {
        this.type = params.getTokenizer() == TokenizerType.Unknown || params.getTokenizer() == TokenizerType.UNRECOGNIZED
                ? TokenizerType.Word : params.getTokenizer();
        this.lowercase = !params.hasLowercase() || params.getLowercase();
        this.asciiFolding = params.hasAsciiFolding() && params.getAsciiFolding();
        this.minLength = params.hasMinTokenLen() ? (int) Math.min(params.getMinTokenLen(), Integer.MAX_VALUE) : null;
        this.maxLength = params.hasMaxTokenLen() ? (int) Math.min(params.getMaxTokenLen(), Integer.MAX_VALUE) : null;
        Set<String> words = new HashSet<>();
        for (String w : params.getStopwords().getCustomList()) {
            words.add(lowercase ? w.toLowerCase(Locale.ROOT) : w);
        }
        this.stopwords = words;
    }

    /** Refuses index options this tokenizer does not implement, rather than match differently from Qdrant. */
    static void check(TextIndexParams params) {
        if (params.hasStemmer()) {
            throw QdrantErrors.unsupported("stemming in full-text indexes");
        }
        if (params.hasStopwords() && params.getStopwords().getLanguagesCount() > 0) {
            throw QdrantErrors.unsupported("language stopword lists in full-text indexes");
        }
    }

    /** The tokens of a stored value, in order (duplicates kept, for phrases). */
    List<String> document(String text) {
        List<String> out = new ArrayList<>();
        switch (type) {
            case Whitespace -> split(WHITESPACE, text, w -> add(out, w, true));
            case Prefix -> split(NOT_ALPHANUMERIC, text, w -> prefixes(out, w));
            case Multilingual -> words(text, w -> {
                if (w.codePoints().anyMatch(Character::isAlphabetic)) {
                    add(out, MARKS.matcher(Normalizer.normalize(w, Normalizer.Form.NFKD)).replaceAll(""), true);
                }
            });
            default -> split(NOT_ALPHANUMERIC, text, w -> add(out, w, true));
        }
        return out;
    }

    /** The tokens of a {@code text} / {@code text_any} query. */
    List<String> query(String text) {
        if (type != TokenizerType.Prefix) {
            return document(text);
        }
        List<String> out = new ArrayList<>();
        split(NOT_ALPHANUMERIC, text, w -> {
            String token = normalise(w);
            if (minLength != null && length(token) < minLength) {
                return;
            }
            out.add(maxLength == null ? token : cut(token, maxLength));
        });
        return out;
    }

    private void prefixes(List<String> out, String word) {
        String token = process(word, false);
        if (token == null) {
            return;
        }
        int min = minLength == null ? 1 : minLength;
        int max = maxLength == null ? Integer.MAX_VALUE : maxLength;
        int length = length(token);
        for (int n = min; n <= max; n++) {
            if (n >= length) {
                out.add(token);
                return;
            }
            out.add(cut(token, n));
        }
    }

    private void add(List<String> out, String raw, boolean checkMax) {
        String token = process(raw, checkMax);
        if (token != null) {
            out.add(token);
        }
    }

    /** Qdrant's {@code process_token}: fold, lowercase, drop stopwords and tokens of the wrong length. */
    private String process(String raw, boolean checkMax) {
        if (raw.isEmpty()) {
            return null;
        }
        String token = normalise(raw);
        if (stopwords.contains(token)) {
            return null;
        }
        int length = length(token);
        if ((minLength != null && length < minLength) || (checkMax && maxLength != null && length > maxLength)) {
            return null;
        }
        return token;
    }

    private String normalise(String raw) {
        String token = asciiFolding ? MARKS.matcher(Normalizer.normalize(raw, Normalizer.Form.NFKD)).replaceAll("")
                : raw;
        return lowercase ? token.toLowerCase(Locale.ROOT) : token;
    }

    private static void split(Pattern separator, String text, Consumer<String> word) {
        for (String w : separator.split(text)) {
            if (!w.isEmpty()) {
                word.accept(w);
            }
        }
    }

    private static void words(String text, Consumer<String> word) {
        BreakIterator words = BreakIterator.getWordInstance(Locale.ROOT);
        words.setText(text);
        for (int start = words.first(), end = words.next(); end != BreakIterator.DONE;
             start = end, end = words.next()) {
            String w = text.substring(start, end).strip();
            if (!w.isEmpty()) {
                word.accept(w);
            }
        }
    }

    private static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    private static String cut(String s, int codePoints) {
        return s.substring(0, s.offsetByCodePoints(0, Math.min(codePoints, length(s))));
    }
}
