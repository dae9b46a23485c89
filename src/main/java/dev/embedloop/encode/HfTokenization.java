package dev.embedloop.encode;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.embedloop.chunk.Chunker;
import dev.embedloop.chunk.SpanList;
import dev.embedloop.chunk.Tokenization;
import dev.embedloop.events.DocumentValidator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The model's own tokenization (from its {@code tokenizer.json}), as character spans for the
 * {@link Chunker}: no special tokens, no truncation, no padding.
 *
 * <p>Large texts are tokenized in segments of about {@link #DEFAULT_SEGMENT_CHARS} characters,
 * cut just after a whitespace character, and the spans are shifted back into the whole text.
 * That keeps the native tokenizer's working memory bounded (it holds a whole input, its
 * normalised copy and per-token strings at once) while giving the same tokens as tokenizing the
 * whole text, since BERT-style pre-tokenizers split at whitespace anyway. Only a segment without
 * any whitespace in its second half is cut mid-word (at a code point boundary), which may split
 * one word's tokens differently. The returned list stores spans in an {@code int[]}
 * ({@link SpanList}), about 8 bytes per token.
 *
 * <p>The tokenizer reports offsets in Unicode code points; they are converted to Java
 * {@code String} indices here, so texts with characters outside the BMP (emoji) are handled.
 *
 * <p>Lone UTF-16 surrogates are handed to the native tokenizer as U+FFFD (one char for one char,
 * so offsets still match the text): passed through, the JNI conversion turns each into several
 * characters and every following offset points past the text.
 *
 * <p>Thread-safe. Close it to free the native tokenizer.
 */
public final class HfTokenization implements Tokenization, AutoCloseable {

    /** Default segment length in characters. */
    public static final int DEFAULT_SEGMENT_CHARS = 48 * 1024;

    private final HuggingFaceTokenizer tokenizer;
    private final int segmentChars;

    private HfTokenization(HuggingFaceTokenizer tokenizer, int segmentChars) {
        this.tokenizer = tokenizer;
        this.segmentChars = segmentChars;
    }

    /** The tokenization of {@code tokenizer.json} with the default segment length. */
    public static HfTokenization load(Path tokenizerJson) throws IOException {
        return load(tokenizerJson, DEFAULT_SEGMENT_CHARS);
    }

    /**
     * The tokenization of {@code tokenizer.json}, tokenizing at most about {@code segmentChars}
     * characters at a time.
     */
    public static HfTokenization load(Path tokenizerJson, int segmentChars) throws IOException {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        if (segmentChars < 64) {
            throw new IllegalArgumentException("segmentChars must be at least 64, was " + segmentChars);
        }
        NativeInit.init();
        synchronized (NativeInit.LOCK) {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
            return new HfTokenization(tokenizer, segmentChars);
        }
    }

    /** The tokenization of a model directory's tokenizer. */
    public static HfTokenization forModel(ModelDirectory model) throws IOException {
        return load(model.tokenizerFile());
    }

    /**
     * A chunker for {@code descriptor}'s model: windows of {@code max_tokens − 2 − tokens of the
     * document prefix} tokens overlapping by {@code overlapTokens}.
     */
    public Chunker chunker(ModelDescriptor descriptor, int overlapTokens) {
        return new Chunker(this, maxContentTokens(descriptor), overlapTokens);
    }

    /** {@link #chunker(ModelDescriptor, int)} with {@link Chunker#DEFAULT_OVERLAP_TOKENS}. */
    public Chunker chunker(ModelDescriptor descriptor) {
        return chunker(descriptor, Chunker.DEFAULT_OVERLAP_TOKENS);
    }

    /**
     * The content window for {@code descriptor}'s model. Assumes the prefix tokenizes the same
     * in front of a text as alone, true for prefixes ending in a space or punctuation.
     */
    public int maxContentTokens(ModelDescriptor descriptor) {
        return Chunker.maxContentTokens(descriptor.maxTokens(), count(descriptor.documentPrefix()));
    }

    /** How many tokens {@code text} has (no special tokens). */
    public int count(String text) {
        return spans(text).size();
    }

    @Override
    public List<Span> spans(String text) {
        Objects.requireNonNull(text, "text");
        int len = text.length();
        SpanList.Builder out = SpanList.builder(len / 4);
        int start = 0;
        while (start < len) {
            int end = cut(text, start);
            tokenize(text.substring(start, end), start, out);
            start = end;
        }
        return out.build();
    }

    /** Where the segment starting at {@code start} ends: just after whitespace when possible. */
    private int cut(String text, int start) {
        int len = text.length();
        if (len - start <= segmentChars) {
            return len;
        }
        int limit = start + segmentChars;
        for (int i = limit - 1; i >= start + segmentChars / 2; i--) {
            if (Character.isWhitespace(text.charAt(i))) {
                return i + 1;
            }
        }
        // no whitespace in the second half: cut anyway, but never inside a surrogate pair
        return Character.isLowSurrogate(text.charAt(limit)) ? limit - 1 : limit;
    }

    private void tokenize(String raw, int offset, SpanList.Builder out) {
        String segment = DocumentValidator.replaceLoneSurrogates(raw);
        Encoding encoding = tokenizer.encode(segment, false, false);
        CharSpan[] spans = encoding.getCharTokenSpans();
        int[] charIndex = codePointToCharIndex(segment);
        for (CharSpan span : spans) {
            if (span == null) {
                continue; // a token without a place in the text (none without special tokens)
            }
            int limit = charIndex != null ? charIndex.length - 1 : segment.length();
            int s = Math.max(0, Math.min(span.getStart(), limit));
            int e = Math.max(s, Math.min(span.getEnd(), limit));
            if (charIndex != null) {
                s = charIndex[s];
                e = charIndex[e];
            }
            // a tokenizer's offsets never go back; should one, clamp rather than fail the document
            int start = Math.max(offset + s, out.lastStart());
            out.add(start, Math.max(start, offset + e));
        }
    }

    /** Maps code point offsets to char offsets, or null when they coincide (no surrogates). */
    private static int[] codePointToCharIndex(String s) {
        int cps = s.codePointCount(0, s.length());
        if (cps == s.length()) {
            return null;
        }
        int[] map = new int[cps + 1];
        int c = 0;
        for (int cp = 0; cp < cps; cp++) {
            map[cp] = c;
            c += Character.charCount(s.codePointAt(c));
        }
        map[cps] = s.length();
        return map;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
