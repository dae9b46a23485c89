package dev.embedloop.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.events.Click;
import dev.embedloop.events.FeedbackError;
import dev.embedloop.events.Impression;
import dev.embedloop.events.Json;
import dev.embedloop.feedback.FeedbackInputParser.Parsed;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FeedbackInputParserTest {

    private final FeedbackInputParser parser = new FeedbackInputParser();

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static final String IMPRESSION = """
            {"query_id":"q1","query":"wing flutter","user_id":"u1","model_version":"m@1",
             "results":[{"doc_id":"a","rank":1,"score":0.9},{"doc_id":"b","rank":2,"score":0.8}],
             "timestamp":1700000000000,"extra":"ignored"}""";

    @Test
    void shouldReadAnImpressionWithSnakeCaseFields() {
        Parsed<Impression> parsed = parser.impression(bytes("q1"), bytes(IMPRESSION));
        assertThat(parsed).isInstanceOf(Parsed.Ok.class);
        Impression imp = ((Parsed.Ok<Impression>) parsed).event();
        assertThat(imp.queryId()).isEqualTo("q1");
        assertThat(imp.query()).isEqualTo("wing flutter");
        assertThat(imp.userId()).isEqualTo("u1");
        assertThat(imp.sessionId()).isNull();
        assertThat(imp.modelVersion()).isEqualTo("m@1");
        assertThat(imp.results()).extracting(Impression.Result::docId).containsExactly("a", "b");
        assertThat(imp.timestamp()).isEqualTo(1700000000000L);
    }

    @Test
    void shouldWriteAndReadBackTheSameEvents() throws Exception {
        Impression imp = new Impression("q1", "x", null, "s", "m", List.of(new Impression.Result("a", 1, 0.5)), 7);
        String json = Json.writeString(imp);
        assertThat(json).isEqualTo("{\"query_id\":\"q1\",\"query\":\"x\",\"session_id\":\"s\",\"model_version\":\"m\","
                + "\"results\":[{\"doc_id\":\"a\",\"rank\":1,\"score\":0.5}],\"timestamp\":7}");
        assertThat(((Parsed.Ok<Impression>) parser.impression(bytes("q1"), bytes(json))).event()).isEqualTo(imp);
        Click click = new Click("q1", "a", 1, null, 9);
        assertThat(Json.writeString(click)).isEqualTo("{\"query_id\":\"q1\",\"doc_id\":\"a\",\"rank\":1,\"timestamp\":9}");
        assertThat(((Parsed.Ok<Click>) parser.click(bytes("q1"), Json.write(click))).event()).isEqualTo(click);
    }

    @Test
    void shouldAcceptAnImpressionWithoutScoresOrUserAndSession() {
        Parsed<Impression> parsed = parser.impression(bytes("q1"), bytes("{\"query_id\":\"q1\",\"query\":\"x\","
                + "\"model_version\":\"m\",\"results\":[{\"doc_id\":\"a\",\"rank\":1}],\"timestamp\":0}"));
        assertThat(parsed).isInstanceOf(Parsed.Ok.class);
        Impression imp = ((Parsed.Ok<Impression>) parsed).event();
        assertThat(imp.results().get(0).score()).isNull();
        assertThat(imp.userId()).isNull();
        assertThat(PairingRules.identity(imp)).isEmpty();
    }

    @Test
    void shouldReadAClickWithAndWithoutDwell() {
        Parsed<Click> withDwell = parser.click(bytes("q1"),
                bytes("{\"query_id\":\"q1\",\"doc_id\":\"a\",\"rank\":1,\"dwell_ms\":1500,\"timestamp\":5}"));
        assertThat(((Parsed.Ok<Click>) withDwell).event().dwellMs()).isEqualTo(1500L);
        Parsed<Click> without = parser.click(bytes("q1"),
                bytes("{\"query_id\":\"q1\",\"doc_id\":\"a\",\"rank\":1,\"timestamp\":5}"));
        assertThat(((Parsed.Ok<Click>) without).event().dwellMs()).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "not json            | q1 | {not json                                                   | BAD_JSON",
            "empty               | q1 | ''                                                          | BAD_JSON",
            "trailing garbage    | q1 | {\"query_id\":\"q1\",\"doc_id\":\"a\",\"rank\":1,\"timestamp\":5} x | BAD_JSON",
            "array               | q1 | [1,2]                                                       | WRONG_TYPE",
            "json null           | q1 | null                                                        | WRONG_TYPE",
            "rank as string      | q1 | {\"query_id\":\"q1\",\"doc_id\":\"a\",\"rank\":\"one\",\"timestamp\":5} | WRONG_TYPE",
            "rank null           | q1 | {\"query_id\":\"q1\",\"doc_id\":\"a\",\"rank\":null,\"timestamp\":5} | WRONG_TYPE",
            "missing doc_id      | q1 | {\"query_id\":\"q1\",\"rank\":1,\"timestamp\":5}              | MISSING_FIELD",
            "missing timestamp   | q1 | {\"query_id\":\"q1\",\"doc_id\":\"a\",\"rank\":1}              | MISSING_FIELD",
            "rank zero           | q1 | {\"query_id\":\"q1\",\"doc_id\":\"a\",\"rank\":0,\"timestamp\":5} | INVALID_FIELD",
            "negative dwell      | q1 | {\"query_id\":\"q1\",\"doc_id\":\"a\",\"rank\":1,\"dwell_ms\":-1,\"timestamp\":5} | INVALID_FIELD",
            "blank doc_id        | q1 | {\"query_id\":\"q1\",\"doc_id\":\" \",\"rank\":1,\"timestamp\":5} | INVALID_FIELD",
            "key mismatch        | q2 | {\"query_id\":\"q1\",\"doc_id\":\"a\",\"rank\":1,\"timestamp\":5} | KEY_MISMATCH",
    })
    void shouldRefuseBadClicksWithTheirErrorClass(String name, String key, String value, FeedbackError expected) {
        Parsed<Click> parsed = parser.click(bytes(key), bytes(value.replace("\\\"", "\"")));
        assertThat(parsed).isInstanceOf(Parsed.Invalid.class);
        Parsed.Invalid<Click> invalid = (Parsed.Invalid<Click>) parsed;
        assertThat(invalid.code()).isEqualTo(expected);
        assertThat(invalid.reason()).startsWith(expected.label() + ": ");
    }

    @Test
    void shouldRefuseBadImpressionsWithTheirErrorClass() {
        assertThat(code(parser.impression(bytes("q1"), null))).isEqualTo(FeedbackError.MISSING_VALUE);
        assertThat(code(parser.impression(null, bytes(IMPRESSION)))).isEqualTo(FeedbackError.KEY_MISMATCH);
        assertThat(code(parser.impression(bytes("q1"), bytes(IMPRESSION.replace("\"query\":\"wing flutter\",", "")))))
                .isEqualTo(FeedbackError.MISSING_FIELD);
        assertThat(code(parser.impression(bytes("q1"), bytes(IMPRESSION.replace("\"rank\":2", "\"rank\":1")))))
                .isEqualTo(FeedbackError.INVALID_FIELD);
        assertThat(code(parser.impression(bytes("q1"), bytes(IMPRESSION.replace("\"wing flutter\"", "\"  \"")))))
                .isEqualTo(FeedbackError.INVALID_FIELD);
        assertThat(code(parser.impression(bytes("q1"), bytes(IMPRESSION.replace("\"results\":[", "\"results\":{\"x\":[")
                .replace("}],", "}]},"))))).isEqualTo(FeedbackError.WRONG_TYPE);
        byte[] badUtf8 = {'{', '"', 'q', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThat(code(parser.impression(bytes("q1"), badUtf8))).isEqualTo(FeedbackError.BAD_JSON);
    }

    @Test
    void shouldNameTheMissingFieldButNeverQuoteTheInput() {
        Parsed.Invalid<Impression> missing = (Parsed.Invalid<Impression>) parser.impression(bytes("q1"),
                bytes(IMPRESSION.replace("\"model_version\":\"m@1\",", "")));
        assertThat(missing.reason()).contains("model_version");
        Parsed.Invalid<Impression> wrong = (Parsed.Invalid<Impression>) parser.impression(bytes("q1"),
                bytes(IMPRESSION.replace("\"rank\":2", "\"rank\":\"secret query words\"")));
        assertThat(wrong.code()).isEqualTo(FeedbackError.WRONG_TYPE);
        assertThat(wrong.reason()).contains("results[1].rank").doesNotContain("secret");
        Parsed.Invalid<Impression> bad = (Parsed.Invalid<Impression>) parser.impression(bytes("q1"),
                bytes("{\"query\": secret words}"));
        assertThat(bad.reason()).doesNotContain("secret");
    }

    private static FeedbackError code(Parsed<?> parsed) {
        assertThat(parsed).isInstanceOf(Parsed.Invalid.class);
        return ((Parsed.Invalid<?>) parsed).code();
    }
}
