package dev.embedloop.events;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.events.Validation.ErrorCode;
import dev.embedloop.events.Validation.Invalid;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the raw key and value bytes of a documents-topic record into a {@link Validation}. Pure:
 * no I/O, no state, so every bad-input class is unit-testable.
 *
 * <p>It accepts only what the later stages, the state stores and Qdrant accept too: one strict JSON
 * object (no trailing tokens, no duplicate fields), a text field (a string) and at least one
 * character the model reads in the text or the title (a title alone is a document: BEIR corpora
 * hold papers without an abstract, and BEIR encodes title and text together), sizes that fit a Kafka record once stored, metadata that Qdrant's protobuf decoder takes
 * (depth) and numbers it stores as given. Lone UTF-16 surrogates (JSON escapes such as
 * {@code "\ud800"}, which no UTF-8 byte sequence can carry) are <b>replaced</b> by U+FFFD in the
 * text, the title and metadata keys and strings; the document is indexed, not dead-lettered.
 */
public final class DocumentValidator {

    /** Nesting deeper than this anywhere in the value is BAD_JSON (the parser stops there). */
    static final int MAX_JSON_DEPTH = 1000;

    /**
     * The limits the validator applies.
     *
     * @param maxTextBytes largest text in UTF-8 bytes
     * @param maxIdBytes largest record key (document id) in bytes
     * @param maxTitleBytes largest title in UTF-8 bytes (the title goes into every chunk's payload)
     * @param maxMetadataBytes largest metadata object as JSON, in bytes (it goes into every chunk's payload)
     * @param maxMetadataDepth deepest metadata nesting; the metadata object itself is level 1
     * @param maxMetadataKeyBytes longest metadata field name in UTF-8 bytes
     */
    public record Limits(long maxTextBytes, int maxIdBytes, int maxTitleBytes, int maxMetadataBytes,
            int maxMetadataDepth, int maxMetadataKeyBytes) {

        /** Protobuf decoders refuse messages nested deeper than 100; a JSON object level costs 3 of them. */
        public static final int MAX_METADATA_DEPTH = 32;

        public static final int DEFAULT_ID_BYTES = 1024;
        public static final int DEFAULT_TITLE_BYTES = 8192;
        public static final int DEFAULT_METADATA_BYTES = 65_536;
        public static final int DEFAULT_METADATA_DEPTH = 20;
        public static final int DEFAULT_METADATA_KEY_BYTES = 256;

        public Limits {
            if (maxTextBytes <= 0 || maxIdBytes <= 0 || maxTitleBytes <= 0 || maxMetadataBytes <= 0
                    || maxMetadataKeyBytes <= 0) {
                throw new IllegalArgumentException("limits must be positive");
            }
            if (maxMetadataDepth < 1 || maxMetadataDepth > MAX_METADATA_DEPTH) {
                throw new IllegalArgumentException(
                        "maxMetadataDepth must be in [1, " + MAX_METADATA_DEPTH + "], was " + maxMetadataDepth);
            }
        }

        /** The default limits with the given text limit. */
        public static Limits defaults(long maxTextBytes) {
            return new Limits(maxTextBytes, DEFAULT_ID_BYTES, DEFAULT_TITLE_BYTES, DEFAULT_METADATA_BYTES,
                    DEFAULT_METADATA_DEPTH, DEFAULT_METADATA_KEY_BYTES);
        }

        /**
         * The largest accepted event as the indexer stores it (JSON, in its pending store, whose
         * changelog takes records of {@link EmbedloopConfig.Topics#recordBytesFor}), with room for
         * the record's key and envelope.
         */
        public long maxStoredBytes() {
            return EmbedloopConfig.Topics.recordBytesFor(maxTextBytes) - 2L * maxIdBytes - 4096;
        }
    }

    private final Limits limits;
    private final ObjectMapper mapper;

    /** @param maxTextBytes the largest accepted {@code text}, in UTF-8 bytes; other limits default */
    public DocumentValidator(long maxTextBytes) {
        this(Limits.defaults(maxTextBytes));
    }

    public DocumentValidator(Limits limits) {
        this.limits = limits;
        this.mapper = JsonMapper.builder()
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                // {"text": "ok"} garbage is not a document
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
        // strings are bounded by the record the broker delivered (already in memory); our own
        // limits speak, with their own error classes, instead of the parser's defaults
        this.mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE)
                .maxNestingDepth(MAX_JSON_DEPTH)
                .build());
    }

    public Limits limits() {
        return limits;
    }

    public Validation validate(byte[] key, byte[] value) {
        if (key == null || key.length == 0) {
            return new Invalid(ErrorCode.MISSING_KEY, "record has no key; the key must be the document id");
        }
        if (key.length > limits.maxIdBytes()) {
            return new Invalid(ErrorCode.KEY_TOO_LARGE,
                    "key is " + key.length + " bytes, over the limit of " + limits.maxIdBytes() + " (index.max-id-bytes)");
        }
        String id;
        try {
            id = decode(key);
        } catch (CharacterCodingException e) {
            return new Invalid(ErrorCode.INVALID_UTF8, "key is not valid UTF-8");
        }
        if (value == null) {
            return new Validation.Deleted(id);
        }
        String json;
        try {
            json = decode(value);
        } catch (CharacterCodingException e) {
            return new Invalid(ErrorCode.INVALID_UTF8, "value is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = mapper.readTree(json);
        } catch (StreamConstraintsException e) {
            return new Invalid(ErrorCode.BAD_JSON, "value exceeds a JSON parser limit: " + firstLine(e.getOriginalMessage()));
        } catch (Exception e) {
            return new Invalid(ErrorCode.BAD_JSON, "value is not valid JSON: " + firstLine(
                    e instanceof com.fasterxml.jackson.core.JacksonException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            return new Invalid(ErrorCode.BAD_JSON, "value must be a JSON object");
        }
        JsonNode idNode = root.get("id");
        if (idNode != null && !idNode.isNull()) {
            if (!idNode.isTextual()) {
                return wrongType("id", "a string", idNode);
            }
            if (!idNode.asText().equals(id)) {
                return new Invalid(ErrorCode.ID_MISMATCH,
                        "id '" + clip(idNode.asText(), 200) + "' does not match the record key '" + clip(id, 200) + "'");
            }
        }
        JsonNode titleNode = root.get("title");
        if (titleNode != null && !titleNode.isNull() && !titleNode.isTextual()) {
            return wrongType("title", "a string", titleNode);
        }
        JsonNode metadataNode = root.get("metadata");
        if (metadataNode != null && !metadataNode.isNull() && !metadataNode.isObject()) {
            return wrongType("metadata", "an object", metadataNode);
        }
        JsonNode version = root.get("version");
        if (version != null && !version.isNull()) {
            if (!version.isIntegralNumber()) {
                return wrongType("version", "an integer", version);
            }
            if (!version.canConvertToLong()) {
                return new Invalid(ErrorCode.NUMBER_OUT_OF_RANGE, "version does not fit a 64-bit integer");
            }
            if (version.asLong() < 0) {
                return new Invalid(ErrorCode.WRONG_TYPE, "version must not be negative, was " + version.asLong());
            }
        }
        JsonNode textNode = root.get("text");
        if (textNode == null || textNode.isNull()) {
            return new Invalid(ErrorCode.MISSING_TEXT, "text is missing");
        }
        if (!textNode.isTextual()) {
            return wrongType("text", "a string", textNode);
        }
        String text = replaceLoneSurrogates(textNode.asText());
        String title = titleNode == null || titleNode.isNull() ? null : replaceLoneSurrogates(titleNode.asText());
        if (!hasReadableCharacter(text) && (title == null || !hasReadableCharacter(title))) {
            // a title alone is content (BEIR corpora hold papers without an abstract); neither is not
            return new Invalid(ErrorCode.MISSING_TEXT, text.isEmpty() ? "text is empty and there is no readable title"
                    : "text has no readable character (only whitespace, control, zero-width or formatting characters)"
                    + " and there is no readable title");
        }
        long textBytes = utf8Length(text);
        if (textBytes > limits.maxTextBytes()) {
            return new Invalid(ErrorCode.TEXT_TOO_LARGE, "text is " + textBytes + " bytes, over the limit of "
                    + limits.maxTextBytes() + " (index.max-text-bytes)");
        }
        if (title != null && utf8Length(title) > limits.maxTitleBytes()) {
            return new Invalid(ErrorCode.TITLE_TOO_LARGE, "title is " + utf8Length(title) + " bytes, over the limit of "
                    + limits.maxTitleBytes() + " (index.max-title-bytes)");
        }
        ObjectNode metadata = null;
        long metadataBytes = 0;
        if (metadataNode != null && !metadataNode.isNull()) {
            Object checked = checkMetadata((ObjectNode) metadataNode);
            if (checked instanceof Invalid invalid) {
                return invalid;
            }
            metadata = (ObjectNode) checked;
            metadataBytes = jsonBytes(metadata, limits.maxMetadataBytes());
            if (metadataBytes > limits.maxMetadataBytes()) {
                return new Invalid(ErrorCode.METADATA_TOO_LARGE, "metadata is over " + limits.maxMetadataBytes()
                        + " bytes as JSON (index.max-metadata-bytes)");
            }
        }
        // the pending store keeps the event as JSON until Qdrant acknowledged it: it must fit a record
        long stored = jsonStringBytes(text) + (title == null ? 0 : jsonStringBytes(title)) + metadataBytes
                + 2L * jsonStringBytes(id) + 512;
        if (stored > limits.maxStoredBytes()) {
            return new Invalid(ErrorCode.TEXT_TOO_LARGE, "the event takes " + stored + " bytes as stored JSON (escapes"
                    + " included), over the " + limits.maxStoredBytes() + " a record holds at index.max-text-bytes="
                    + limits.maxTextBytes());
        }
        return new Validation.Valid(new DocumentEvent(id, title, text, metadata,
                version == null || version.isNull() ? null : version.asLong()));
    }

    /**
     * Checks depth, field names and numbers of the metadata, replacing lone surrogates: the
     * (possibly rebuilt) object, or an {@link Invalid}.
     */
    private Object checkMetadata(ObjectNode metadata) {
        return checkNode(metadata, 1);
    }

    private Object checkNode(JsonNode node, int depth) {
        if (node.isObject() || node.isArray()) {
            if (depth > limits.maxMetadataDepth()) {
                return new Invalid(ErrorCode.METADATA_TOO_DEEP, "metadata is nested deeper than "
                        + limits.maxMetadataDepth() + " levels (index.max-metadata-depth)");
            }
        }
        if (node.isObject()) {
            boolean rebuild = false;
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.size());
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String name = field.getKey();
                if (utf8Length(name) > limits.maxMetadataKeyBytes()) {
                    return new Invalid(ErrorCode.METADATA_KEY_TOO_LONG, "a metadata field name is "
                            + utf8Length(name) + " bytes, over the limit of " + limits.maxMetadataKeyBytes()
                            + " (index.max-metadata-key-bytes)");
                }
                String fixedName = replaceLoneSurrogates(name);
                Object child = checkNode(field.getValue(), depth + 1);
                if (child instanceof Invalid) {
                    return child;
                }
                JsonNode fixedChild = (JsonNode) child;
                rebuild |= fixedName != name || fixedChild != field.getValue();
                fields.add(Map.entry(fixedName, fixedChild));
            }
            if (!rebuild) {
                return node;
            }
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> field : fields) {
                if (copy.has(field.getKey())) {
                    return new Invalid(ErrorCode.BAD_JSON,
                            "metadata has duplicate field names once lone surrogates are replaced");
                }
                copy.set(field.getKey(), field.getValue());
            }
            return copy;
        }
        if (node.isArray()) {
            boolean rebuild = false;
            List<JsonNode> items = new ArrayList<>(node.size());
            for (JsonNode item : node) {
                Object child = checkNode(item, depth + 1);
                if (child instanceof Invalid) {
                    return child;
                }
                rebuild |= child != item;
                items.add((JsonNode) child);
            }
            if (!rebuild) {
                return node;
            }
            ArrayNode copy = JsonNodeFactory.instance.arrayNode(items.size());
            copy.addAll(items);
            return copy;
        }
        if (node.isTextual()) {
            String s = node.asText();
            String fixed = replaceLoneSurrogates(s);
            return fixed == s ? node : TextNode.valueOf(fixed);
        }
        if (node.isNumber()) {
            if (node.isIntegralNumber() && !node.canConvertToLong()) {
                return new Invalid(ErrorCode.NUMBER_OUT_OF_RANGE,
                        "a metadata integer does not fit 64 bits (Qdrant stores integers as int64; send it as a string)");
            }
            if (!node.isIntegralNumber() && !Double.isFinite(node.asDouble())) {
                return new Invalid(ErrorCode.NUMBER_OUT_OF_RANGE, "a metadata number is beyond the range of a double");
            }
        }
        return node;
    }

    private static Invalid wrongType(String field, String expected, JsonNode actual) {
        return new Invalid(ErrorCode.WRONG_TYPE,
                field + " must be " + expected + ", was " + actual.getNodeType().name().toLowerCase(Locale.ROOT));
    }

    private static String decode(byte[] bytes) throws CharacterCodingException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer chars = decoder.decode(ByteBuffer.wrap(bytes));
        return chars.toString();
    }

    /**
     * {@code s} with every unpaired UTF-16 surrogate replaced by U+FFFD (same length, so offsets
     * stay valid); {@code s} itself when it has none.
     */
    public static String replaceLoneSurrogates(String s) {
        int len = s.length();
        int i = 0;
        while (i < len) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i += 2;
                    continue;
                }
                break;
            }
            i++;
        }
        if (i == len) {
            return s;
        }
        char[] out = s.toCharArray();
        for (int j = i; j < len; j++) {
            char c = out[j];
            if (Character.isHighSurrogate(c) && j + 1 < len && Character.isLowSurrogate(out[j + 1])) {
                j++;
            } else if (Character.isSurrogate(c)) {
                out[j] = '\uFFFD';
            }
        }
        return new String(out);
    }

    /**
     * Whether {@code text} has a character a tokenizer reads: not whitespace or a space separator
     * (NBSP), not a control or format character (NUL, soft hyphen, zero-width space and joiners,
     * BOM, bidi marks), not U+FFFD. The chunker has the last word: a text in which the model's
     * tokenizer finds no token is dead-lettered as {@code MISSING_TEXT} at the chunk stage.
     */
    public static boolean hasReadableCharacter(String text) {
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp) || Character.isISOControl(cp) || cp == 0xFFFD) {
                continue;
            }
            int type = Character.getType(cp);
            if (type == Character.FORMAT || type == Character.SURROGATE || type == Character.CONTROL) {
                continue;
            }
            return true;
        }
        return false;
    }

    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** Bytes of {@code s} as a JSON string written by Jackson: quotes, escapes, raw UTF-8 otherwise. */
    static long jsonStringBytes(String s) {
        long n = 2;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\' || c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f') {
                n += 2;
            } else if (c < 0x20) {
                n += 6;
            } else if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** Size of {@code node} as JSON, counting no further than just past {@code limit}. */
    private static long jsonBytes(JsonNode node, long limit) {
        CountingStream counter = new CountingStream(limit);
        try {
            Json.MAPPER.writeValue(counter, node);
        } catch (IOException e) {
            if (counter.count <= limit) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return counter.count;
    }

    /** Counts bytes and gives up (with an IOException) once past its limit. */
    private static final class CountingStream extends OutputStream {
        private final long limit;
        long count;

        CountingStream(long limit) {
            this.limit = limit;
        }

        @Override
        public void write(int b) throws IOException {
            add(1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            add(len);
        }

        private void add(long n) throws IOException {
            count += n;
            if (count > limit) {
                throw new IOException("limit reached");
            }
        }
    }

    static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "parse error";
        }
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl);
        // Jackson quotes the offending input; keep the reason short and free of document text
        return clip(line, 160);
    }
}
