package dev.embedloop.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A document as published on the {@code documents} topic (key = {@link #id()}).
 *
 * @param id document id, equal to the record key
 * @param title optional title, indexed together with the text
 * @param text the text to index; blank only when the title is not (a document may be its title alone)
 * @param metadata optional JSON object, stored with every point of the document
 * @param version optional version; an event older than the stored version is skipped
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DocumentEvent(String id, String title, String text, ObjectNode metadata, Long version) {

    public DocumentEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(text, "text");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("id must not be empty");
        }
        if (text.isBlank() && (title == null || title.isBlank())) {
            throw new IllegalArgumentException("text and title must not both be blank");
        }
    }

    /** What the model reads: the title, a space, the text (either is left out when absent or blank). */
    public String indexedText() {
        return title == null || title.isBlank() ? text : text.isBlank() ? title : title + " " + text;
    }

    /**
     * SHA-256 over everything that ends up in the index (title, text, metadata), so an event that
     * changes none of them needs no re-encoding.
     */
    public String contentHash() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            update(digest, title);
            update(digest, text);
            update(digest, metadata == null ? null : metadata.toString());
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    private static void update(MessageDigest digest, String part) {
        if (part == null) {
            digest.update((byte) 0);
            return;
        }
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        // length-prefix each part so ("ab","c") and ("a","bc") hash differently
        digest.update((byte) 1);
        digest.update(java.nio.ByteBuffer.allocate(4).putInt(bytes.length).array());
        digest.update(bytes);
    }
}
