package dev.embedloop.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ChunkerTest {

    private static final Tokenization WS = Chunker.whitespace();

    /** "w0 w1 ... w(n-1)" with single spaces. */
    private static String words(int n) {
        return IntStream.range(0, n).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
    }

    private static List<String> tokens(String s) {
        return List.of(s.split("\\s+"));
    }

    @Test
    void whitespaceTokenizationGivesRunsOfNonWhitespace() {
        String text = "  alpha\tbeta\n\ngamma  δέλτα 😀x ";
        List<String> toks = WS.spans(text).stream().map(s -> text.substring(s.start(), s.end())).toList();
        assertThat(toks).containsExactly("alpha", "beta", "gamma", "δέλτα", "😀x");
        assertThat(WS.spans("")).isEmpty();
        assertThat(WS.spans(" \n\t ")).isEmpty();
    }

    @Test
    void windowsHaveAtMostMaxTokensAndOverlapExactly() {
        Chunker chunker = new Chunker(WS, 10, 3);
        String text = words(45);
        List<Chunk> chunks = chunker.chunk(text);

        // starts at 0, 7, 14, 21, 28, 35: the window starting at 35 reaches the last token (44)
        assertThat(chunks).extracting(Chunk::index).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(chunks).extracting(Chunk::tokens).containsExactly(10, 10, 10, 10, 10, 10);
        for (int i = 0; i < chunks.size(); i++) {
            List<String> toks = tokens(chunks.get(i).text());
            assertThat(toks).hasSize(chunks.get(i).tokens());
            assertThat(toks.get(0)).isEqualTo("w" + 7 * i);
            if (i > 0) {
                List<String> previous = tokens(chunks.get(i - 1).text());
                assertThat(toks.subList(0, 3)).isEqualTo(previous.subList(previous.size() - 3, previous.size()));
            }
        }
        assertThat(tokens(chunks.get(5).text())).last().isEqualTo("w44");
    }

    @Test
    void lastChunkMayBeShortButEndsAtTheLastToken() {
        List<Chunk> chunks = new Chunker(WS, 10, 3).chunk(words(12));
        assertThat(chunks).extracting(Chunk::tokens).containsExactly(10, 5);
        assertThat(chunks.get(1).text()).isEqualTo("w7 w8 w9 w10 w11");
    }

    @Test
    void everyChunkIsASubstringFromFirstTokenStartToLastTokenEnd() {
        String text = "\n  Intro:  one two\tthree,\n\nfour five six   seven eight nine ten eleven  \n";
        List<Chunk> chunks = new Chunker(WS, 4, 1).chunk(text);
        int searchFrom = 0;
        for (Chunk c : chunks) {
            int at = text.indexOf(c.text(), searchFrom);
            assertThat(at).as("chunk %d is a substring at or after %d", c.index(), searchFrom).isGreaterThanOrEqualTo(0);
            assertThat(c.text()).isEqualTo(c.text().strip());
            searchFrom = at + 1;
        }
        assertThat(chunks.get(0).text()).isEqualTo("Intro:  one two\tthree,");
        assertThat(chunks).extracting(Chunk::text).last().isEqualTo("nine ten eleven");
    }

    @Test
    void textWithinTheWindowIsOneTrimmedChunk() {
        Chunker chunker = new Chunker(WS, 5, 2);
        assertThat(chunker.chunk("  hello   world \n"))
                .containsExactly(new Chunk(0, "hello   world", 2));
    }

    @Test
    void textExactlyAtTheLimitIsOneChunkAndOneMoreTokenMakesTwo() {
        Chunker chunker = new Chunker(WS, 8, 2);
        assertThat(chunker.chunk(words(8))).containsExactly(new Chunk(0, words(8), 8));

        List<Chunk> two = chunker.chunk(words(9));
        assertThat(two).extracting(Chunk::tokens).containsExactly(8, 3);
        assertThat(two.get(1).text()).isEqualTo("w6 w7 w8");
    }

    @Test
    void blankTextGivesNoChunks() {
        Chunker chunker = new Chunker(WS, 8, 2);
        assertThat(chunker.chunk("")).isEmpty();
        assertThat(chunker.chunk(" \t\n ")).isEmpty();
        assertThatThrownBy(() -> chunker.chunk(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void textWhoseTokenizationIsEmptyGivesNoChunks() {
        assertThat(new Chunker(text -> List.of(), 8, 2).chunk("\u0000\u0001")).isEmpty();
    }

    @Test
    void zeroOverlapTilesTheText() {
        List<Chunk> chunks = new Chunker(WS, 5, 0).chunk(words(12));
        assertThat(chunks).extracting(Chunk::tokens).containsExactly(5, 5, 2);
        assertThat(String.join(" ", chunks.stream().map(Chunk::text).toList())).isEqualTo(words(12));
    }

    @Test
    void worksWithATokenizationReturningPlainSpanLists() {
        // a Tokenization that does not return a SpanList takes the generic path
        Tokenization plain = text -> List.copyOf(WS.spans(text));
        assertThat(new Chunker(plain, 10, 3).chunk(words(45)))
                .isEqualTo(new Chunker(WS, 10, 3).chunk(words(45)));
    }

    @Test
    void validatesItsArguments() {
        assertThatThrownBy(() -> new Chunker(WS, 10, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlapTokens");
        assertThatThrownBy(() -> new Chunker(WS, 10, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Chunker(WS, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Chunker(null, 10, 1)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void maxContentTokensLeavesRoomForSpecialTokensAndThePrefix() {
        assertThat(Chunker.maxContentTokens(256, 0)).isEqualTo(254);
        assertThat(Chunker.maxContentTokens(512, 3)).isEqualTo(507);
        assertThatThrownBy(() -> Chunker.maxContentTokens(8, 6)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Chunker.maxContentTokens(256, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hugeTextIsChunkedCompletely() {
        // ~10 MB, 1.6 M tokens: a sanity check that nothing is quadratic (no timing assertion)
        StringBuilder sb = new StringBuilder(10_500_000);
        int n = 0;
        while (sb.length() < 10_000_000) {
            sb.append("token").append(n++ % 1000).append(n % 17 == 0 ? "\n\n" : " ");
        }
        String text = sb.toString();
        Chunker chunker = new Chunker(WS, 254, 32);
        List<Chunk> chunks = chunker.chunk(text);

        int step = 254 - 32;
        assertThat(chunks).hasSize(1 + (n - 254 + step - 1) / step);
        assertThat(chunks).allSatisfy(c -> assertThat(c.tokens()).isBetween(33, 254));
        assertThat(chunks.get(0).text()).startsWith("token0 token1 ");
        assertThat(text.strip()).endsWith(chunks.get(chunks.size() - 1).text());
        long covered = chunks.stream().mapToLong(Chunk::tokens).sum() - 32L * (chunks.size() - 1);
        assertThat(covered).isEqualTo(n);
    }

    @Test
    void spanListStoresSpansCompactly() {
        SpanList list = SpanList.builder(1).add(0, 3).add(4, 4).add(4, 9).build();
        assertThat(list).containsExactly(new Tokenization.Span(0, 3), new Tokenization.Span(4, 4), new Tokenization.Span(4, 9));
        assertThat(list.start(2)).isEqualTo(4);
        assertThat(list.end(2)).isEqualTo(9);
        assertThatThrownBy(() -> list.get(3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> SpanList.builder(1).add(5, 6).add(4, 7)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpanList.builder(1).add(5, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThat(SpanList.empty()).isEmpty();
    }

    @Test
    void aChunkNeverExceedsItsCharacterLimit() {
        Chunker chunker = new Chunker(WS, 10, 3, 64);
        // one "word" of 1000 chars: a single token, cut to the limit
        List<Chunk> one = chunker.chunk("x".repeat(1000));
        assertThat(one).singleElement().satisfies(c -> assertThat(c.text()).hasSize(64));
        // long words close windows early, and every token is still in some chunk
        String text = "short " + "y".repeat(50) + " " + "z".repeat(50) + " tail";
        List<Chunk> chunks = chunker.chunk(text);
        assertThat(chunks).allSatisfy(c -> assertThat(c.text().length()).isLessThanOrEqualTo(64));
        assertThat(String.join(" ", chunks.stream().map(Chunk::text).toList())).contains("short", "y".repeat(50), "z".repeat(50), "tail");
        // never inside a surrogate pair
        List<Chunk> emoji = chunker.chunk("😀".repeat(100));
        assertThat(emoji.get(0).text()).hasSize(64);
        assertThat(Character.isHighSurrogate(emoji.get(0).text().charAt(63))).isFalse();
    }

    @Test
    void spansOutsideTheTextAreClampedInsteadOfFailing() {
        Tokenization broken = text -> List.of(new Tokenization.Span(0, 3), new Tokenization.Span(6, text.length() + 5));
        List<Chunk> chunks = new Chunker(broken, 10, 3).chunk("a \ud800 b");
        assertThat(chunks).singleElement().satisfies(c -> assertThat(c.text()).isEqualTo("a \ud800 b"));
        Tokenization beyond = text -> List.of(new Tokenization.Span(text.length() + 2, text.length() + 9));
        assertThat(new Chunker(beyond, 10, 3).chunk("abc")).singleElement().satisfies(c -> assertThat(c.text()).isEmpty());
    }
}
