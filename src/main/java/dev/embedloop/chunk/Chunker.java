package dev.embedloop.chunk;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Cuts a document's text into token windows that fit the model.
 *
 * <p>Each chunk holds at most {@code maxContentTokens} tokens; consecutive chunks share
 * {@code overlapTokens} tokens so that a sentence cut at a window's edge is still seen whole by
 * one of the two chunks. The windows start at tokens {@code 0, step, 2·step, ...} with
 * {@code step = maxContentTokens − overlapTokens}; the last window ends at the last token, so it
 * may be short (down to {@code overlapTokens + 1} tokens).
 *
 * <p>A chunk's text is also at most {@code maxChunkChars} characters long, so that a chunk (which
 * goes into a point's payload and a changelog record) stays small whatever the input: a window
 * whose tokens span more characters closes early (the next one starts {@code overlapTokens}
 * before its end, and at least one token later than it), and a single token longer than that is
 * cut (never inside a surrogate pair). Tokenizers map a run of characters without a word break to
 * one unknown token, so such runs are what this bounds; ordinary prose never comes near it.
 *
 * <p>Spans a tokenization reports outside the text are clamped to it: a misbehaving tokenization
 * gives odd chunks, never an exception.
 *
 * <p>A chunk's text is the substring of the input from its first token's start to its last
 * token's end, so it is always a substring of the input. The same rule applies when the whole
 * text fits one window: the single chunk (index 0) is the text without leading and trailing
 * whitespace (or whatever else the tokenizer skips at the edges, e.g. control characters). A
 * blank text, or one in which the tokenizer finds no token, gives no chunks; callers dead-letter
 * such documents before they get here.
 *
 * <p>Instances are immutable and thread-safe when the {@link Tokenization} is.
 */
public final class Chunker {

    /** The overlap used for the real model unless configured otherwise. */
    public static final int DEFAULT_OVERLAP_TOKENS = 32;

    /** Tokens a BERT-style model adds around every input: {@code [CLS]} and {@code [SEP]}. */
    public static final int SPECIAL_TOKENS = 2;

    /** The default longest chunk text, in chars. */
    public static final int DEFAULT_MAX_CHUNK_CHARS = 16_384;

    private final Tokenization tokenization;
    private final int maxContentTokens;
    private final int overlapTokens;
    private final int maxChunkChars;

    /**
     * @param tokenization the model's tokenization (or {@link #whitespace()} in tests)
     * @param maxContentTokens the most tokens a chunk may have, special tokens and prefixes
     *     excluded; see {@link #maxContentTokens(int, int)}
     * @param overlapTokens tokens shared by consecutive chunks, {@code 0 <= overlap < max}
     */
    public Chunker(Tokenization tokenization, int maxContentTokens, int overlapTokens) {
        this(tokenization, maxContentTokens, overlapTokens, DEFAULT_MAX_CHUNK_CHARS);
    }

    /**
     * @param maxChunkChars the longest chunk text in chars, at least 16
     * @see #Chunker(Tokenization, int, int)
     */
    public Chunker(Tokenization tokenization, int maxContentTokens, int overlapTokens, int maxChunkChars) {
        if (maxChunkChars < 16) {
            throw new IllegalArgumentException("maxChunkChars must be at least 16, was " + maxChunkChars);
        }
        this.maxChunkChars = maxChunkChars;
        this.tokenization = Objects.requireNonNull(tokenization, "tokenization");
        if (maxContentTokens < 1) {
            throw new IllegalArgumentException("maxContentTokens must be at least 1, was " + maxContentTokens);
        }
        if (overlapTokens < 0 || overlapTokens >= maxContentTokens) {
            throw new IllegalArgumentException("overlapTokens must be in [0, maxContentTokens = "
                    + maxContentTokens + "), was " + overlapTokens);
        }
        this.maxContentTokens = maxContentTokens;
        this.overlapTokens = overlapTokens;
    }

    /**
     * The content window of a model: its token window minus {@link #SPECIAL_TOKENS} minus the
     * tokens of the document prefix that the encoder puts in front of every chunk.
     *
     * @param modelMaxTokens the model's {@code max_tokens}, special tokens included
     * @param documentPrefixTokens how many tokens the document prefix has (0 when none)
     * @throws IllegalArgumentException if nothing would be left for content
     */
    public static int maxContentTokens(int modelMaxTokens, int documentPrefixTokens) {
        if (documentPrefixTokens < 0) {
            throw new IllegalArgumentException("documentPrefixTokens must be >= 0, was " + documentPrefixTokens);
        }
        int window = modelMaxTokens - SPECIAL_TOKENS - documentPrefixTokens;
        if (window < 1) {
            throw new IllegalArgumentException("a model with max_tokens " + modelMaxTokens + " and a "
                    + documentPrefixTokens + "-token document prefix leaves no room for content");
        }
        return window;
    }

    /** The most tokens a chunk holds. */
    public int maxContentTokens() {
        return maxContentTokens;
    }

    /** Tokens shared by consecutive chunks. */
    public int overlapTokens() {
        return overlapTokens;
    }

    /** The longest chunk text, in chars. */
    public int maxChunkChars() {
        return maxChunkChars;
    }

    /**
     * The chunks of {@code text}, in order, indexed from 0; empty for a blank text.
     *
     * @throws NullPointerException if {@code text} is null
     */
    public List<Chunk> chunk(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isBlank()) {
            return List.of();
        }
        List<Tokenization.Span> spans = tokenization.spans(text);
        int n = spans.size();
        if (n == 0) {
            return List.of();
        }
        SpanList compact = spans instanceof SpanList s ? s : null;
        int len = text.length();
        List<Chunk> chunks = new ArrayList<>(n <= maxContentTokens ? 1 : 2 + (n - maxContentTokens) / (maxContentTokens - overlapTokens));
        for (int first = 0; ; ) {
            int from = clamp(compact != null ? compact.start(first) : spans.get(first).start(), 0, len);
            if (from > 0 && from < len && Character.isLowSurrogate(text.charAt(from))
                    && Character.isHighSurrogate(text.charAt(from - 1))) {
                from--;
            }
            // the last token's end, guarded with a max because some tokenizers give several tokens
            // the same (or an enclosing) span
            int to = from;
            int end = first;
            int limit = Math.min(first + maxContentTokens, n);
            while (end < limit) {
                int tokenEnd = clamp(compact != null ? compact.end(end) : spans.get(end).end(), from, len);
                int next = Math.max(to, tokenEnd);
                if (end > first && next - from > maxChunkChars) {
                    break;
                }
                to = next;
                end++;
            }
            if (to - from > maxChunkChars) {
                to = from + maxChunkChars;
                if (Character.isLowSurrogate(text.charAt(to)) && Character.isHighSurrogate(text.charAt(to - 1))) {
                    to--;
                }
            }
            chunks.add(new Chunk(chunks.size(), text.substring(from, to), end - first));
            if (end >= n) {
                return chunks;
            }
            first = Math.max(first + 1, end - overlapTokens);
        }
    }

    private static int clamp(int v, int lo, int hi) {
        return v < lo ? lo : Math.min(v, hi);
    }

    /**
     * A deterministic tokenization without native code, for tests: every maximal run of
     * non-whitespace characters ({@link Character#isWhitespace(int)}) is one token.
     */
    public static Tokenization whitespace() {
        return Chunker::whitespaceSpans;
    }

    private static List<Tokenization.Span> whitespaceSpans(String text) {
        SpanList.Builder out = SpanList.builder(text.length() / 6);
        int i = 0;
        int len = text.length();
        while (i < len) {
            while (i < len && Character.isWhitespace(text.codePointAt(i))) {
                i += Character.charCount(text.codePointAt(i));
            }
            if (i == len) {
                break;
            }
            int start = i;
            while (i < len && !Character.isWhitespace(text.codePointAt(i))) {
                i += Character.charCount(text.codePointAt(i));
            }
            out.add(start, i);
        }
        return out.build();
    }
}
