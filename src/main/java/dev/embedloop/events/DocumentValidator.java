package dev.embedloop.events;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedloop.events.Validation.ErrorCode;
import dev.embedloop.events.Validation.Invalid;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns the raw key and value bytes of a documents-topic record into a {@link Validation}. Pure:
 * no I/O, no state, so every bad-input class is unit-testable.
 */
public final class DocumentValidator {

    private final long maxTextBytes;
    private final ObjectMapper mapper;

    /** @param maxTextBytes the largest accepted {@code text}, in UTF-8 bytes */
    public DocumentValidator(long maxTextBytes) {
        if (maxTextBytes <= 0) {
            throw new IllegalArgumentException("maxTextBytes must be positive");
        }
        this.maxTextBytes = maxTextBytes;
        // Jackson caps strings at 20 MB by default; our own limit is the one that should speak
        this.mapper = JsonMapper.builder()
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .build();
        this.mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength((int) Math.min(Integer.MAX_VALUE, Math.max(maxTextBytes * 2, 20_000_000L)))
                .build());
    }

    public Validation validate(byte[] key, byte[] value) {
        if (key == null || key.length == 0) {
            return new Invalid(ErrorCode.MISSING_KEY, "record has no key; the key must be the document id");
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
        } catch (Exception e) {
            return new Invalid(ErrorCode.BAD_JSON, "value is not valid JSON: " + firstLine(e.getMessage()));
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
                        "id '" + idNode.asText() + "' does not match the record key '" + id + "'");
            }
        }
        JsonNode title = root.get("title");
        if (title != null && !title.isNull() && !title.isTextual()) {
            return wrongType("title", "a string", title);
        }
        JsonNode metadata = root.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            return wrongType("metadata", "an object", metadata);
        }
        JsonNode version = root.get("version");
        if (version != null && !version.isNull()) {
            if (!version.isIntegralNumber() || !version.canConvertToLong()) {
                return wrongType("version", "an integer", version);
            }
            if (version.asLong() < 0) {
                return new Invalid(ErrorCode.WRONG_TYPE, "version must not be negative, was " + version.asLong());
            }
        }
        JsonNode text = root.get("text");
        if (text == null || text.isNull()) {
            return new Invalid(ErrorCode.MISSING_TEXT, "text is missing");
        }
        if (!text.isTextual()) {
            return wrongType("text", "a string", text);
        }
        String body = text.asText();
        if (body.isBlank()) {
            return new Invalid(ErrorCode.MISSING_TEXT, "text is empty");
        }
        long textBytes = utf8Length(body);
        if (textBytes > maxTextBytes) {
            return new Invalid(ErrorCode.TEXT_TOO_LARGE,
                    "text is " + textBytes + " bytes, over the limit of " + maxTextBytes + " (index.max-text-bytes)");
        }
        return new Validation.Valid(new DocumentEvent(
                id,
                title == null || title.isNull() ? null : title.asText(),
                body,
                metadata == null || metadata.isNull() ? null : (ObjectNode) metadata,
                version == null || version.isNull() ? null : version.asLong()));
    }

    private static Invalid wrongType(String field, String expected, JsonNode actual) {
        return new Invalid(ErrorCode.WRONG_TYPE,
                field + " must be " + expected + ", was " + actual.getNodeType().name().toLowerCase());
    }

    private static String decode(byte[] bytes) throws CharacterCodingException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer chars = decoder.decode(ByteBuffer.wrap(bytes));
        return chars.toString();
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "parse error";
        }
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl);
        // Jackson quotes the offending input; keep the reason short and free of document text
        return line.length() > 160 ? line.substring(0, 160) + "…" : line;
    }
}
