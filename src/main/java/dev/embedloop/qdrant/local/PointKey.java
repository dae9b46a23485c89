package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Common.PointId;
import java.util.UUID;

/**
 * A point id in canonical form: an unsigned 64-bit number or a UUID (held as two longs).
 *
 * <p>Qdrant parses UUID ids with Rust's {@code uuid} crate, so the hyphenated, simple (32 hex digits), braced
 * and {@code urn:uuid:} spellings, in any case, all name the same point, which is always returned in the
 * lowercase hyphenated form. Anything else is rejected with {@code INVALID_ARGUMENT "Unable to parse UUID: <id>"}
 * ({@code TryFrom<PointId> for PointIdType} in qdrant/qdrant {@code lib/api/src/grpc/conversions.rs}).
 *
 * <p>Ordering follows Qdrant's {@code ExtendedPointId}: every numeric id sorts before every UUID, numbers compare
 * unsigned, UUIDs by their 128-bit value (which is also the order of their canonical text). Scroll pages in this
 * order.
 */
record PointKey(boolean isUuid, long hi, long lo) implements Comparable<PointKey> {

    /** A numeric id; {@code value} is read as unsigned, as the protobuf {@code uint64} it came from. */
    static PointKey num(long value) {
        return new PointKey(false, 0L, value);
    }

    static PointKey uuid(UUID uuid) {
        return new PointKey(true, uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    }

    /** Converts a request's id, failing the way Qdrant's request conversion does. */
    static PointKey of(PointId id) {
        return switch (id.getPointIdOptionsCase()) {
            case NUM -> num(id.getNum());
            case UUID -> parseUuid(id.getUuid());
            default -> throw QdrantErrors.invalidArgument("No ID options provided");
        };
    }

    static PointKey parseUuid(String text) {
        String s = text;
        if (s.length() == 45 && s.regionMatches(true, 0, "urn:uuid:", 0, 9)) {
            s = s.substring(9);
        } else if (s.length() == 38 && s.charAt(0) == '{' && s.charAt(37) == '}') {
            s = s.substring(1, 37);
        }
        if (s.length() == 36) {
            if (s.charAt(8) != '-' || s.charAt(13) != '-' || s.charAt(18) != '-' || s.charAt(23) != '-') {
                throw badUuid(text);
            }
            s = s.substring(0, 8) + s.substring(9, 13) + s.substring(14, 18) + s.substring(19, 23) + s.substring(24);
        }
        if (s.length() != 32) {
            throw badUuid(text);
        }
        for (int i = 0; i < 32; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                throw badUuid(text);
            }
        }
        return new PointKey(true, Long.parseUnsignedLong(s.substring(0, 16), 16),
                Long.parseUnsignedLong(s.substring(16), 16));
    }

    private static RuntimeException badUuid(String text) {
        return QdrantErrors.invalidArgument("Unable to parse UUID: " + text);
    }

    PointId toProto() {
        return isUuid
                ? PointId.newBuilder().setUuid(new UUID(hi, lo).toString()).build()
                : PointId.newBuilder().setNum(lo).build();
    }

    @Override
    public int compareTo(PointKey o) {
        if (isUuid != o.isUuid) {
            return isUuid ? 1 : -1;
        }
        int c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }

    /** The id as Qdrant prints it in messages: the number, or the canonical UUID. */
    @Override
    public String toString() {
        return isUuid ? new UUID(hi, lo).toString() : Long.toUnsignedString(lo);
    }
}
