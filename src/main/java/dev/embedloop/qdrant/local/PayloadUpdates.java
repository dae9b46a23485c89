package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.JsonWithInt.Value;
import java.util.List;
import java.util.Map;

/**
 * Applies payload changes to stored points: set (merge), overwrite, delete keys, clear. Each touched point gets
 * the operation's id as its version. Not thread-safe: guarded by the collection's lock.
 */
final class PayloadUpdates {

    private final PointStore points;

    PayloadUpdates(PointStore points) {
        this.points = points;
    }

    /** {@code set_payload} merges keys into the payload (under {@code key} when given), overwrite replaces it. */
    void set(List<PointKey> ids, Map<String, Value> payload, JsonPath key, boolean overwrite, long version) {
        Struct replacement = Struct.newBuilder().putAllFields(payload).build();
        for (PointKey id : ids) {
            PointEntry e = points.get(id);
            if (e == null) {
                continue;
            }
            if (key == null) {
                e.payload = overwrite ? replacement : e.payload.toBuilder().putAllFields(payload).build();
            } else {
                // overwriting under a key replaces that object; setting merges into it
                Struct base = overwrite ? key.delete(e.payload) : e.payload;
                e.payload = key.merge(base, payload);
            }
            e.version = version;
        }
    }

    void delete(List<PointKey> ids, List<JsonPath> keys, long version) {
        for (PointKey id : ids) {
            PointEntry e = points.get(id);
            if (e == null) {
                continue;
            }
            Struct payload = e.payload;
            for (JsonPath key : keys) {
                payload = key.delete(payload);
            }
            e.payload = payload;
            e.version = version;
        }
    }

    void clear(List<PointKey> ids, long version) {
        for (PointKey id : ids) {
            PointEntry e = points.get(id);
            if (e != null) {
                e.payload = Struct.getDefaultInstance();
                e.version = version;
            }
        }
    }
}
