package dev.embedloop.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.events.Validation.ErrorCode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every class of input the issue met, and its neighbours, one assertion each. */
class DocumentValidatorTest {

    private final DocumentValidator validator = new DocumentValidator(1000);

    private Validation validate(String key, String json) {
        return validator.validate(key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    }

    private ErrorCode error(String key, String json) {
        Validation v = validate(key, json);
        assertThat(v).as("%s is invalid", json).isInstanceOf(Validation.Invalid.class);
        return ((Validation.Invalid) v).code();
    }

    private DocumentEvent valid(String key, String json) {
        Validation v = validate(key, json);
        assertThat(v).as("%s is valid", json).isInstanceOf(Validation.Valid.class);
        return ((Validation.Valid) v).document();
    }

    @Test
    void trailingTokensAfterTheObjectAreBadJson() {
        assertThat(error("k", "{\"text\": \"ok\"} trailing garbage")).isEqualTo(ErrorCode.BAD_JSON);
        assertThat(error("k", "{\"text\": \"ok\"}}")).isEqualTo(ErrorCode.BAD_JSON);
        assertThat(error("k", "{\"text\": \"ok\"} {\"text\": \"again\"}")).isEqualTo(ErrorCode.BAD_JSON);
        assertThat(valid("k", "  {\"text\": \"ok\"}\n\t ").text()).isEqualTo("ok");
    }

    @Test
    void duplicateFieldsAnywhereAreBadJson() {
        assertThat(error("k", "{\"text\": \"a\", \"text\": \"b\"}")).isEqualTo(ErrorCode.BAD_JSON);
        assertThat(error("k", "{\"text\": \"a\", \"metadata\": {\"x\": {\"y\": 1, \"y\": 2}}}")).isEqualTo(ErrorCode.BAD_JSON);
    }

    @Test
    void nonStandardJsonIsBadJson() {
        for (String json : new String[] {"{\"text\": NaN}", "{'text': 'x'}", "{\"text\": \"x\",}", "\ufeff{\"text\": \"x\"}",
                "", " ", "null", "[]", "\"text\"", "{\"text\": \"a\u0001b\"}", "{\"text\": 01}"}) {
            assertThat(error("k", json)).as(json).isEqualTo(ErrorCode.BAD_JSON);
        }
        assertThat(error("k", "{\"text\":\"a\",\"metadata\":{\"x\":" + "[".repeat(1200) + "]".repeat(1200) + "}}"))
                .isEqualTo(ErrorCode.BAD_JSON);
    }

    @Test
    void textWithoutReadableCharactersIsMissingTextUnlessTheTitleIsReadable() {
        for (String text : new String[] {"", "\\u00a0", "\\u200b", "\\u0000", "\\u00ad", "\\u200b\\u200c\\u200d\\u2060\\ufeff",
                "\\u0001\\u007f\\u0085", "\\u3000\\u2028\\u2029 \\t\\n", "\\ud800", "\\udc00", "\\udbff\\ud800", "\\ufffd"}) {
            assertThat(error("k", "{\"text\": \"" + text + "\"}")).as(text).isEqualTo(ErrorCode.MISSING_TEXT);
            assertThat(error("k", "{\"text\": \"" + text + "\", \"title\": \"\\u200b \\u00ad\"}")).as(text)
                    .isEqualTo(ErrorCode.MISSING_TEXT);
            // a title alone is a document, as in BEIR corpora (papers without an abstract)
            DocumentEvent titleOnly = valid("k", "{\"text\": \"" + text + "\", \"title\": \"a fine title\"}");
            assertThat(titleOnly.indexedText()).as(text).startsWith("a fine title");
        }
        assertThat(valid("k", "{\"text\": \"\", \"title\": \"a fine title\"}").indexedText()).isEqualTo("a fine title");
        assertThat(valid("k", "{\"text\": \" \\n\", \"title\": \"a fine title\"}").indexedText()).isEqualTo("a fine title");
        assertThat(valid("k", "{\"text\": \"\\u00a0word\\u200b\"}").text()).isEqualTo("\u00a0word\u200b");
        // the text field stays required: an event without one is not taken for a title-only document
        assertThat(error("k", "{\"title\": \"a fine title\"}")).isEqualTo(ErrorCode.MISSING_TEXT);
        assertThat(error("k", "{\"title\": \"a fine title\", \"text\": null}")).isEqualTo(ErrorCode.MISSING_TEXT);
    }

    @Test
    void loneSurrogatesAreReplacedEverywhereAndPairsKept() {
        DocumentEvent doc = valid("k", "{\"title\": \"t\\udbff\", \"text\": \"a \\ud800 b \\udc00 \\ud83d\\ude00\","
                + " \"metadata\": {\"k\\ud800\": \"v\\udfff\", \"list\": [\"\\ud800\"]}}");
        assertThat(doc.title()).isEqualTo("t\ufffd");
        assertThat(doc.text()).isEqualTo("a \ufffd b \ufffd 😀");
        assertThat(doc.metadata().get("k\ufffd").asText()).isEqualTo("v\ufffd");
        assertThat(doc.metadata().get("list").get(0).asText()).isEqualTo("\ufffd");
        assertThat(DocumentValidator.replaceLoneSurrogates("plain")).isSameAs("plain");
        assertThat(DocumentValidator.replaceLoneSurrogates("\ud83d")).isEqualTo("\ufffd");
    }

    @Test
    void metadataDepthSizeAndKeysHaveLimitsOfTheirOwn() {
        String deep20 = "{\"a\":".repeat(19) + "{\"b\":1}" + "}".repeat(19);
        assertThat(valid("k", "{\"text\": \"x\", \"metadata\": " + deep20 + "}").metadata()).isNotNull();
        for (int depth : new int[] {21, 50, 900}) {
            String meta = "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
            assertThat(error("k", "{\"text\": \"x\", \"metadata\": " + meta + "}")).as("depth %d", depth)
                    .isEqualTo(ErrorCode.METADATA_TOO_DEEP);
        }
        // arrays count as levels too
        assertThat(error("k", "{\"text\": \"x\", \"metadata\": {\"a\": " + "[".repeat(20) + "]".repeat(20) + "}}"))
                .isEqualTo(ErrorCode.METADATA_TOO_DEEP);
        assertThat(error("k", "{\"text\": \"x\", \"metadata\": {\"blob\": \"" + "m".repeat(70_000) + "\"}}"))
                .isEqualTo(ErrorCode.METADATA_TOO_LARGE);
        assertThat(error("k", "{\"text\": \"x\", \"metadata\": {\"" + "k".repeat(257) + "\": 1}}"))
                .isEqualTo(ErrorCode.METADATA_KEY_TOO_LONG);
        assertThat(valid("k", "{\"text\": \"x\", \"metadata\": {\"" + "k".repeat(256) + "\": 1}}").metadata()).isNotNull();
    }

    @Test
    void numbersMustBeStorableAsGiven() {
        assertThat(error("k", "{\"text\": \"x\", \"version\": 9223372036854775808}")).isEqualTo(ErrorCode.NUMBER_OUT_OF_RANGE);
        assertThat(error("k", "{\"text\": \"x\", \"metadata\": {\"n\": 1e400}}")).isEqualTo(ErrorCode.NUMBER_OUT_OF_RANGE);
        assertThat(error("k", "{\"text\": \"x\", \"metadata\": {\"n\": -1e400}}")).isEqualTo(ErrorCode.NUMBER_OUT_OF_RANGE);
        assertThat(error("k", "{\"text\": \"x\", \"metadata\": {\"n\": [123456789012345678901234567890]}}"))
                .isEqualTo(ErrorCode.NUMBER_OUT_OF_RANGE);
        assertThat(error("k", "{\"text\": \"x\", \"version\": 1.5}")).isEqualTo(ErrorCode.WRONG_TYPE);
        DocumentEvent doc = valid("k", "{\"text\": \"x\", \"version\": 9223372036854775807, \"metadata\": "
                + "{\"max\": 9223372036854775807, \"big\": 1.7976931348623157e308, \"tiny\": 1e-400}}");
        assertThat(doc.version()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void keyTitleAndTextSizesAreLimited() {
        assertThat(error("k".repeat(1025), "{\"text\": \"x\"}")).isEqualTo(ErrorCode.KEY_TOO_LARGE);
        assertThat(error("k", "{\"text\": \"x\", \"title\": \"" + "t".repeat(8193) + "\"}")).isEqualTo(ErrorCode.TITLE_TOO_LARGE);
        assertThat(error("k", "{\"text\": \"" + "y".repeat(1001) + "\"}")).isEqualTo(ErrorCode.TEXT_TOO_LARGE);
        assertThat(valid("k", "{\"text\": \"" + "y".repeat(1000) + "\"}").text()).hasSize(1000);
    }

    @Test
    void aTextWhoseJsonEscapesOverflowARecordIsTooLarge() {
        DocumentValidator big = new DocumentValidator(1_000_000);
        // under the UTF-8 limit, but every control character takes 6 bytes as stored JSON
        String text = "a" + "\\u0001".repeat(999_990);
        Validation v = big.validate("k".getBytes(StandardCharsets.UTF_8),
                ("{\"text\": \"" + text + "\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(v).isInstanceOf(Validation.Invalid.class);
        assertThat(((Validation.Invalid) v).code()).isEqualTo(ErrorCode.TEXT_TOO_LARGE);
        assertThat(((Validation.Invalid) v).reason()).contains("stored");
    }

    @Test
    void invalidUtf8AndMissingKeysKeepTheirClasses() {
        byte[] cesu = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'};
        assertThat(((Validation.Invalid) validator.validate("k".getBytes(StandardCharsets.UTF_8), cesu)).code())
                .isEqualTo(ErrorCode.INVALID_UTF8);
        assertThat(error(null, "{\"text\": \"x\"}")).isEqualTo(ErrorCode.MISSING_KEY);
        assertThat(error("", "{\"text\": \"x\"}")).isEqualTo(ErrorCode.MISSING_KEY);
        assertThat(validate("k", null)).isEqualTo(new Validation.Deleted("k"));
    }
}
