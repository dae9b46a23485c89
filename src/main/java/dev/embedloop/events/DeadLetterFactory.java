package dev.embedloop.events;

import dev.embedloop.events.Validation.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import org.apache.kafka.common.header.Headers;

/**
 * Builds the indexer's dead letters so that one always fits a Kafka record, whatever it carries: a
 * value over {@code maxValueBytes} is kept as its first bytes plus its length and SHA-256, a key
 * over {@link #MAX_KEY_BYTES} as its first bytes, a reason as its first {@link #MAX_REASON_CHARS}
 * characters. The largest letter is then {@link #maxLetterBytes(int)}, far below the broker's
 * default record limit at the default settings.
 */
public final class DeadLetterFactory {

    public static final int DEFAULT_MAX_VALUE_BYTES = 65_536;
    /** The largest {@code maxValueBytes}: its base64 and the rest stay under Kafka's default 1 MB record. */
    public static final int MAX_VALUE_BYTES_LIMIT = 524_288;
    public static final int MAX_KEY_BYTES = 4096;
    public static final int MAX_REASON_CHARS = 1000;

    /** The stage of the indexer that refused a record. */
    public enum Stage {
        VALIDATE, CHUNK, ENCODE, WRITE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a letter's value carries: the bytes read from the topic, or the accepted event re-serialised. */
    public static final String ORIGIN_RECORD = "record";
    public static final String ORIGIN_EVENT = "event";

    /** A dead-letter record: key bytes, JSON body, headers. */
    public record Letter(byte[] key, DeadLetter body, Headers headers) {}

    /** Where a record came from. */
    public record Source(String topic, int partition, long offset, long timestamp) {
        public static final Source UNKNOWN = new Source(null, -1, -1, -1);
    }

    private final int maxValueBytes;

    public DeadLetterFactory(int maxValueBytes) {
        if (maxValueBytes < 0 || maxValueBytes > MAX_VALUE_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxValueBytes must be in [0, " + MAX_VALUE_BYTES_LIMIT + "], was " + maxValueBytes);
        }
        this.maxValueBytes = maxValueBytes;
    }

    public int maxValueBytes() {
        return maxValueBytes;
    }

    /** An upper bound of a letter's serialised size (key, JSON body, headers) for {@code maxValueBytes}. */
    public static long maxLetterBytes(int maxValueBytes) {
        long base64 = 4L * ((maxValueBytes + 2) / 3);
        // key: raw bytes in the record, and at most 6 bytes per byte as a JSON escape in the body
        long key = MAX_KEY_BYTES + 6L * MAX_KEY_BYTES;
        // reason: in the body (escaped) and as a header
        long reason = 6L * 3 * MAX_REASON_CHARS + 3L * MAX_REASON_CHARS;
        return base64 + key + reason + 4096;
    }

    /**
     * The letter for a refused record.
     *
     * @param key the record key as read (may be null)
     * @param value the value to keep: the record's bytes, or the accepted event's JSON (may be null)
     * @param valueOrigin {@link #ORIGIN_RECORD} or {@link #ORIGIN_EVENT}
     */
    public Letter letter(ErrorCode code, Stage stage, String reason, Source source, byte[] key, byte[] value,
            String valueOrigin) {
        Source from = source == null ? Source.UNKNOWN : source;
        byte[] recordKey = key;
        Boolean keyTruncated = null;
        if (key != null && key.length > MAX_KEY_BYTES) {
            recordKey = Arrays.copyOf(key, MAX_KEY_BYTES);
            keyTruncated = true;
        }
        String base64 = null;
        Long length = null;
        String sha256 = null;
        Boolean truncated = null;
        if (value != null) {
            length = (long) value.length;
            sha256 = sha256(value);
            boolean cut = value.length > maxValueBytes;
            truncated = cut;
            base64 = Base64.getEncoder().encodeToString(cut ? Arrays.copyOf(value, maxValueBytes) : value);
        }
        DeadLetter body = new DeadLetter(code.name(), clipReason(reason), from.topic(), from.partition(), from.offset(),
                from.timestamp(), recordKey == null ? null : new String(recordKey, StandardCharsets.UTF_8), base64,
                stage.label(), length, sha256, truncated, value == null ? null : valueOrigin, keyTruncated);
        return new Letter(recordKey, body, DeadLetterHeaders.of(body));
    }

    static String clipReason(String reason) {
        String r = reason == null ? "" : reason;
        if (r.length() > MAX_REASON_CHARS) {
            int end = MAX_REASON_CHARS;
            if (Character.isHighSurrogate(r.charAt(end - 1))) {
                end--;
            }
            r = r.substring(0, end) + "…";
        }
        return DocumentValidator.replaceLoneSurrogates(r);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
