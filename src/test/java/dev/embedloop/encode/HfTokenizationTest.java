package dev.embedloop.encode;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.embedloop.chunk.Chunk;
import dev.embedloop.chunk.Chunker;
import dev.embedloop.chunk.Tokenization.Span;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HfTokenizationTest {

    static final String[] VOCABULARY = (
            "the pressure distribution over a swept wing at supersonic speeds was measured; results (see fig. 3)"
                    + " agree with theory — approximately 12.5% lower drag. Boundary-layer transition, heat transfer"
                    + " and café naïve Ünïcödé 😀 emoji 北京 don't stop").split(" ");

    static ModelDirectory model;
    static HfTokenization tokenization;

    @BeforeAll
    static void load() throws IOException {
        model = BundledModels.standard().bundled(BundledModels.MINILM_Q);
        tokenization = HfTokenization.forModel(model);
    }

    @AfterAll
    static void close() {
        tokenization.close();
    }

    /** Random prose from {@link #VOCABULARY}, with paragraph breaks, of at least {@code chars} chars. */
    static String prose(int chars, long seed) {
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder(chars + 64);
        while (sb.length() < chars) {
            sb.append(VOCABULARY[random.nextInt(VOCABULARY.length)]);
            sb.append(random.nextInt(25) == 0 ? "\n\n" : " ");
        }
        return sb.toString();
    }

    @Test
    void spansAreTheTokenizersOwnSpansWithoutSpecialTokens() throws IOException {
        String text = "Hello, world! The wing's lift-curve slope (approx. 0.1 per degree) was measured at Mach 2.";
        try (HuggingFaceTokenizer direct = HuggingFaceTokenizer.builder()
                .optTokenizerPath(model.tokenizerFile())
                .optAddSpecialTokens(false)
                .optTruncation(false)
                .optPadding(false)
                .build()) {
            Encoding encoding = direct.encode(text);
            List<Span> expected = new ArrayList<>();
            for (CharSpan s : encoding.getCharTokenSpans()) {
                expected.add(new Span(s.getStart(), s.getEnd()));
            }
            List<Span> spans = tokenization.spans(text);
            assertThat(spans).isEqualTo(expected);

            // for plain ASCII the span's text, lower-cased, is the word piece itself
            String[] tokens = encoding.getTokens();
            for (int i = 0; i < spans.size(); i++) {
                String piece = text.substring(spans.get(i).start(), spans.get(i).end()).toLowerCase();
                assertThat(piece).isEqualTo(tokens[i].replaceFirst("^##", ""));
            }
            assertThat(tokens).doesNotContain("[CLS]", "[SEP]");
        }
    }

    @Test
    void spansAreJavaStringIndicesEvenAfterCharactersOutsideTheBmp() {
        String text = "a 😀😀 wing 𝔘 lift";
        List<String> pieces = tokenization.spans(text).stream()
                .map(s -> text.substring(s.start(), s.end())).toList();
        // emoji and the math letter are unknown to the vocabulary: [UNK] spanning the whole word
        assertThat(pieces).containsExactly("a", "😀😀", "wing", "𝔘", "lift");
    }

    @Test
    void segmentingALongTextGivesExactlyTheSameSpans() throws IOException {
        String text = prose(200_000, 7);
        List<Span> whole;
        try (HfTokenization unsegmented = HfTokenization.load(model.tokenizerFile(), Integer.MAX_VALUE)) {
            whole = unsegmented.spans(text);
        }
        // cuts fall after whitespace, where BERT's pre-tokenizer splits anyway: nothing changes
        try (HfTokenization small = HfTokenization.load(model.tokenizerFile(), 1000)) {
            assertThat(small.spans(text)).isEqualTo(whole);
        }
        assertThat(tokenization.spans(text)).isEqualTo(whole); // default segments (48 K chars)
        assertThat(whole.size()).isGreaterThan(40_000);
    }

    @Test
    void aSegmentWithoutWhitespaceIsCutAnywayAndOnlyThatWordChanges() throws IOException {
        String text = "start " + "ab".repeat(800) + "😀 end";
        try (HfTokenization small = HfTokenization.load(model.tokenizerFile(), 256)) {
            List<Span> spans = small.spans(text);
            // the 1600-char word is cut into pieces of ≤ 256 chars; each piece is one [UNK]
            // (WordPiece gives up on words over 100 chars) where unsegmented it is one [UNK]
            assertThat(spans.get(0)).isEqualTo(new Span(0, 5));
            assertThat(spans.get(spans.size() - 1)).isEqualTo(new Span(text.length() - 3, text.length()));
            assertThat(spans.size()).isBetween(tokenization.count(text), tokenization.count(text) + 8);
            for (int i = 1; i < spans.size(); i++) {
                assertThat(spans.get(i).start()).isGreaterThanOrEqualTo(spans.get(i - 1).end());
            }
        }
    }

    @Test
    void countsMatchTheEncoderWithoutSpecialTokens() {
        assertThat(tokenization.count("The cat sits on the mat.")).isEqualTo(7);
        assertThat(tokenization.count("")).isZero();
        assertThat(tokenization.spans("   \n")).isEmpty();
    }

    @Test
    void contentWindowLeavesRoomForSpecialTokensAndThePrefix() {
        ModelDescriptor d = model.descriptor();
        assertThat(tokenization.maxContentTokens(d)).isEqualTo(254);
        ModelDescriptor prefixed = new ModelDescriptor(d.name(), d.version(), d.dimension(), d.pooling(),
                d.normalize(), d.maxTokens(), "query: ", "passage: ", d.includeTokenTypes());
        assertThat(tokenization.maxContentTokens(prefixed)).isEqualTo(252); // "passage", ":"
        Chunker chunker = tokenization.chunker(d);
        assertThat(chunker.maxContentTokens()).isEqualTo(254);
        assertThat(chunker.overlapTokens()).isEqualTo(Chunker.DEFAULT_OVERLAP_TOKENS);
    }

    @Test
    void chunksOfALongTextFitTheModelAndAreSubstrings() {
        String text = prose(20_000, 11);
        List<Chunk> chunks = tokenization.chunker(model.descriptor()).chunk(text);
        assertThat(chunks.size()).isGreaterThan(5);
        int from = 0;
        for (Chunk c : chunks) {
            assertThat(c.tokens()).isLessThanOrEqualTo(254);
            // re-tokenizing a chunk that starts inside a word ("##" piece) may differ slightly
            assertThat(tokenization.count(c.text())).isBetween(c.tokens() - 2, c.tokens() + 2);
            int at = text.indexOf(c.text(), from);
            assertThat(at).isGreaterThanOrEqualTo(from);
            from = at + 1;
        }
    }

    @Test
    void loneSurrogatesNeverShiftTheSpans() {
        Chunker chunker = tokenization.chunker(model.descriptor());
        for (String text : new String[] {"a \ud800 b", "\udbff hello", "x\udc00y wing \ud83d\ude00 lift \ud800", "\ud800",
                "hello \ud800".repeat(20_000)}) {
            List<Span> spans = tokenization.spans(text);
            for (Span s : spans) {
                assertThat(s.end()).isLessThanOrEqualTo(text.length());
            }
            List<Chunk> chunks = chunker.chunk(text);
            for (Chunk c : chunks) {
                assertThat(text).contains(c.text());
            }
        }
        List<Span> spans = tokenization.spans("\udbff hello");
        assertThat(spans).extracting(s -> "\udbff hello".substring(s.start(), s.end())).contains("hello");
    }
}
