package dev.embedloop.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.events.Validation.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

class DeadLetterFactoryTest {

    private final DeadLetterFactory factory = new DeadLetterFactory(DeadLetterFactory.DEFAULT_MAX_VALUE_BYTES);
    private final DeadLetterFactory.Source source = new DeadLetterFactory.Source("documents", 1, 42, 1000);

    @Test
    void aSmallValueIsKeptWholeWithItsLengthAndHash() throws Exception {
        byte[] value = "{\"text\": 42}".getBytes(StandardCharsets.UTF_8);
        DeadLetterFactory.Letter letter = factory.letter(ErrorCode.WRONG_TYPE, DeadLetterFactory.Stage.VALIDATE,
                "text must be a string", source, "k".getBytes(StandardCharsets.UTF_8), value, DeadLetterFactory.ORIGIN_RECORD);
        DeadLetter body = letter.body();
        assertThat(Base64.getDecoder().decode(body.valueBase64())).isEqualTo(value);
        assertThat(body.valueTruncated()).isFalse();
        assertThat(body.valueLength()).isEqualTo(value.length);
        assertThat(body.valueSha256()).isEqualTo(sha256(value));
        assertThat(body.stage()).isEqualTo("validate");
        assertThat(body.valueOrigin()).isEqualTo("record");
        assertThat(body.topic()).isEqualTo("documents");
        assertThat(body.partition()).isEqualTo(1);
        assertThat(body.offset()).isEqualTo(42);
        assertThat(header(letter, DeadLetterHeaders.STAGE)).isEqualTo("validate");
        assertThat(header(letter, DeadLetterHeaders.VALUE_SHA256)).isEqualTo(sha256(value));
        assertThat(letter.key()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void a20MibValueIsKeptAsItsFirstBytesAndTheLetterFitsARecord() throws Exception {
        byte[] value = new byte[20 * 1024 * 1024];
        java.util.Arrays.fill(value, (byte) 'x');
        byte[] key = "k".repeat(10_000).getBytes(StandardCharsets.UTF_8);
        DeadLetterFactory.Letter letter = factory.letter(ErrorCode.TEXT_TOO_LARGE, DeadLetterFactory.Stage.VALIDATE,
                "r".repeat(100_000), source, key, value, DeadLetterFactory.ORIGIN_RECORD);
        DeadLetter body = letter.body();
        assertThat(body.valueTruncated()).isTrue();
        assertThat(body.valueLength()).isEqualTo(value.length);
        assertThat(body.valueSha256()).isEqualTo(sha256(value));
        assertThat(Base64.getDecoder().decode(body.valueBase64())).hasSize(DeadLetterFactory.DEFAULT_MAX_VALUE_BYTES);
        assertThat(body.reason().length()).isLessThanOrEqualTo(DeadLetterFactory.MAX_REASON_CHARS + 1);
        assertThat(letter.key()).hasSize(DeadLetterFactory.MAX_KEY_BYTES);
        assertThat(body.keyTruncated()).isTrue();
        long size = letter.key().length + Json.write(body).length;
        for (Header h : letter.headers()) {
            size += h.key().length() + h.value().length;
        }
        assertThat(size).isLessThanOrEqualTo(DeadLetterFactory.maxLetterBytes(DeadLetterFactory.DEFAULT_MAX_VALUE_BYTES));
        assertThat(DeadLetterFactory.maxLetterBytes(DeadLetterFactory.MAX_VALUE_BYTES_LIMIT)).isLessThan(1_000_000);
    }

    @Test
    void lettersOfOtherTopologiesKeepTheirShape() {
        DeadLetter old = new DeadLetter("NO_IMPRESSION", "why", "clicks", 0, 1, 2, "q", null);
        String json = new String(Json.write(old), StandardCharsets.UTF_8);
        assertThat(json).doesNotContain("stage").doesNotContain("value_length");
    }

    private static String header(DeadLetterFactory.Letter letter, String name) {
        return new String(letter.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
