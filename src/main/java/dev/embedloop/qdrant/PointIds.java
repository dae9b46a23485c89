package dev.embedloop.qdrant;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic point ids. Qdrant accepts only unsigned integers and UUIDs, so a (document id,
 * chunk) pair becomes a name-based UUID: the same chunk always lands on the same point, which makes
 * every write idempotent and replays after a crash harmless.
 */
public final class PointIds {

    private PointIds() {}

    public static UUID of(String docId, int chunk) {
        // length-prefixed so ids containing the separator cannot collide
        String name = "embedloop/" + docId.length() + "/" + docId + "/" + chunk;
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }
}
