package dev.embedloop.qdrant.local;

import com.google.protobuf.Timestamp;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Datetimes as Qdrant reads them from payloads and filters ({@code DateTimePayloadType::from_str}): RFC 3339
 * ({@code 2024-01-02T03:04:05.123Z}, {@code +01:00} offsets, {@code t} or a space as separator), an offset without
 * colon ({@code +0100}), and without any offset, read as UTC: {@code 2024-01-02T03:04:05[.f]},
 * {@code 2024-01-02 03:04:05}, {@code 2024-01-02T03:04}, {@code 2024-01-02 03:04} and {@code 2024-01-02}.
 * Values are microseconds since the epoch, Qdrant's own representation.
 */
final class Datetimes {

    private static final Pattern FORMAT = Pattern.compile(
            "(\\d{4})-(\\d{2})-(\\d{2})"
                    + "(?:[Tt ](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?(Z|z|[+-]\\d{2}(?::?\\d{2})?)?)?)?");

    private Datetimes() {
    }

    /** Microseconds since the epoch, or {@code null} when {@code text} is no datetime Qdrant accepts. */
    static Long parseMicros(String text) {
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            return null;
        }
        try {
            int hour = m.group(4) == null ? 0 : Integer.parseInt(m.group(4));
            int minute = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
            int second = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
            int nanos = 0;
            if (m.group(7) != null) {
                String fraction = (m.group(7) + "000000000").substring(0, 9);
                nanos = Integer.parseInt(fraction);
            }
            LocalDateTime local = LocalDateTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), hour, minute, second, nanos);
            ZoneOffset offset = offset(m.group(8));
            long seconds = local.toEpochSecond(offset);
            return Math.addExact(Math.multiplyExact(seconds, 1_000_000L), nanos / 1_000L);
        } catch (DateTimeException | ArithmeticException e) {
            return null;
        }
    }

    private static ZoneOffset offset(String zone) {
        if (zone == null || zone.equalsIgnoreCase("Z")) {
            return ZoneOffset.UTC;
        }
        int sign = zone.charAt(0) == '-' ? -1 : 1;
        String digits = zone.substring(1).replace(":", "");
        int hours = Integer.parseInt(digits.substring(0, 2));
        int minutes = digits.length() > 2 ? Integer.parseInt(digits.substring(2, 4)) : 0;
        return ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes);
    }

    static long micros(Timestamp t) {
        return t.getSeconds() * 1_000_000L + t.getNanos() / 1_000L;
    }
}
