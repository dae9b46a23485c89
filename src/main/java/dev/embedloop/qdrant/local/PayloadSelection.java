package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.JsonWithInt.ListValue;
import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.WithPayloadSelector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Applies a {@link WithPayloadSelector} to a stored payload: all, nothing, only some keys or all but some.
 *
 * <p>Include and exclude keys may be paths ({@code metadata.lang}, {@code items[].name}); a key is kept when it
 * lies on or under an included path, and dropped when it lies on or under an excluded one, the way Qdrant (and
 * its Python local mode) filters payloads.
 */
final class PayloadSelection {

    private PayloadSelection() {
    }

    /**
     * The payload to return, or {@code null} for none.
     *
     * @param selector     the request's selector; an unset one means {@code whenUnset}
     * @param whenUnset    Qdrant's default for this request type (scroll returns payloads, search does not)
     */
    static Map<String, Value> select(Struct payload, WithPayloadSelector selector, boolean whenUnset) {
        switch (selector.getSelectorOptionsCase()) {
            case ENABLE:
                return selector.getEnable() ? payload.getFieldsMap() : null;
            case INCLUDE: {
                List<String> patterns = selector.getInclude().getFieldsList();
                return filter(payload, key -> patterns.stream().anyMatch(p -> samePrefix(p, key)));
            }
            case EXCLUDE: {
                List<String> patterns = selector.getExclude().getFieldsList();
                return filter(payload, key -> patterns.stream()
                        .noneMatch(p -> p.length() <= key.length() && samePrefix(p, key)));
            }
            default:
                return whenUnset ? payload.getFieldsMap() : null;
        }
    }

    /** Whether two paths agree on every segment they both have ({@code a} vs {@code a.b}: yes). */
    private static boolean samePrefix(String pattern, String key) {
        String[] p = pattern.replace(".", "[.").split("\\[", -1);
        String[] k = key.replace(".", "[.").split("\\[", -1);
        for (int i = 0; i < Math.min(p.length, k.length); i++) {
            if (!p[i].equals(k[i])) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, Value> filter(Struct payload, Predicate<String> keep) {
        Map<String, Value> out = new LinkedHashMap<>();
        for (Map.Entry<String, Value> e : payload.getFieldsMap().entrySet()) {
            if (keep.test(e.getKey())) {
                out.put(e.getKey(), filter(e.getValue(), keep, e.getKey()));
            }
        }
        return out;
    }

    private static Value filter(Value value, Predicate<String> keep, String path) {
        if (value.hasStructValue()) {
            Struct.Builder out = Struct.newBuilder();
            for (Map.Entry<String, Value> e : value.getStructValue().getFieldsMap().entrySet()) {
                String child = path + "." + e.getKey();
                if (keep.test(child)) {
                    out.putFields(e.getKey(), filter(e.getValue(), keep, child));
                }
            }
            return Value.newBuilder().setStructValue(out).build();
        }
        if (value.hasListValue()) {
            String child = path + "[]";
            ListValue.Builder out = ListValue.newBuilder();
            if (keep.test(child)) {
                for (Value element : value.getListValue().getValuesList()) {
                    out.addValues(filter(element, keep, child));
                }
            }
            return Value.newBuilder().setListValue(out).build();
        }
        return value;
    }
}
