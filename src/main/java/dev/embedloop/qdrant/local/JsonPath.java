package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.JsonWithInt.ListValue;
import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.JsonWithInt.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A payload key path as Qdrant writes them: {@code doc_id}, {@code metadata.lang}, {@code tags[]},
 * {@code chunks[0].text}, {@code "key.with.dots".x}.
 *
 * <p>Resolution follows Qdrant's rules: a plain segment steps into an object, {@code []} steps into every
 * element of an array and {@code [n]} into one; an array is <em>not</em> entered implicitly by a plain
 * segment ({@code a.b} does not look inside an array at {@code a}; {@code a[].b} does). When the value at the
 * end of the path is an array and the caller asks for flat values (filters do), its elements are the values,
 * which is why a condition on an array field matches when any element matches.
 */
final class JsonPath {

    /** One step of a path. */
    sealed interface Segment permits Key, Index, Each {
    }

    /** Steps into the object field {@code name}. */
    record Key(String name) implements Segment {
    }

    /** Steps into array element {@code index}. */
    record Index(int index) implements Segment {
    }

    /** Steps into every array element ({@code []}). */
    record Each() implements Segment {
    }

    private final String text;
    private final List<Segment> segments;

    private JsonPath(String text, List<Segment> segments) {
        this.text = text;
        this.segments = segments;
    }

    /** Parses {@code text}; a malformed path is the caller's error. */
    static JsonPath parse(String text) {
        List<Segment> segments = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (true) {
            // a key, quoted or not
            if (i < n && text.charAt(i) == '"') {
                int end = text.indexOf('"', i + 1);
                if (end < 0) {
                    throw malformed(text);
                }
                segments.add(new Key(text.substring(i + 1, end)));
                i = end + 1;
            } else {
                int start = i;
                while (i < n && ".[]\"".indexOf(text.charAt(i)) < 0) {
                    i++;
                }
                if (i == start) {
                    throw malformed(text);
                }
                segments.add(new Key(text.substring(start, i)));
            }
            // any number of [] or [n]
            while (i < n && text.charAt(i) == '[') {
                int end = text.indexOf(']', i);
                if (end < 0) {
                    throw malformed(text);
                }
                String inside = text.substring(i + 1, end);
                if (inside.isEmpty()) {
                    segments.add(new Each());
                } else {
                    try {
                        segments.add(new Index(Integer.parseInt(inside)));
                    } catch (NumberFormatException e) {
                        throw malformed(text);
                    }
                }
                i = end + 1;
            }
            if (i == n) {
                return new JsonPath(text, List.copyOf(segments));
            }
            if (text.charAt(i) != '.') {
                throw malformed(text);
            }
            i++;
        }
    }

    private static RuntimeException malformed(String text) {
        return QdrantErrors.badRequest("Invalid JSON path: " + text);
    }

    List<Segment> segments() {
        return segments;
    }

    /** The path without a trailing {@code []}: Qdrant treats {@code data} and {@code data[]} alike for nested filters. */
    JsonPath withoutTrailingEach() {
        if (segments.size() > 1 && segments.get(segments.size() - 1) instanceof Each) {
            return new JsonPath(text.substring(0, text.length() - 2), segments.subList(0, segments.size() - 1));
        }
        return this;
    }

    /**
     * The values at this path in {@code root}, empty if there are none.
     *
     * @param flat whether an array found at the end of the path contributes its elements (filters) or itself
     *             (emptiness and null checks, which need to see the array)
     */
    List<Value> values(Struct root, boolean flat) {
        List<Value> out = new ArrayList<>(2);
        collect(Value.newBuilder().setStructValue(root).build(), 0, flat, out);
        return out;
    }

    private void collect(Value data, int i, boolean flat, List<Value> out) {
        Segment segment = segments.get(i);
        boolean last = i == segments.size() - 1;
        if (segment instanceof Key key) {
            if (!data.hasStructValue()) {
                return;
            }
            Value child = data.getStructValue().getFieldsMap().get(key.name());
            if (child == null) {
                return;
            }
            if (!last) {
                collect(child, i + 1, flat, out);
            } else if (flat && child.hasListValue()) {
                out.addAll(child.getListValue().getValuesList());
            } else {
                out.add(child);
            }
        } else if (segment instanceof Index index) {
            if (!data.hasListValue() || index.index() < 0 || index.index() >= data.getListValue().getValuesCount()) {
                return;
            }
            Value child = data.getListValue().getValues(index.index());
            if (last) {
                out.add(child);
            } else {
                collect(child, i + 1, flat, out);
            }
        } else {
            if (!data.hasListValue()) {
                return;
            }
            for (Value child : data.getListValue().getValuesList()) {
                if (last) {
                    out.add(child);
                } else {
                    collect(child, i + 1, flat, out);
                }
            }
        }
    }

    /**
     * Returns {@code root} with {@code payload} merged into the object at this path ({@code set_payload} with a
     * {@code key}): missing objects along plain segments are created, {@code []} and {@code [n]} apply to the
     * existing array elements, and a non-object found at the end is replaced by the payload.
     */
    Struct merge(Struct root, Map<String, Value> payload) {
        Value updated = mergeAt(Value.newBuilder().setStructValue(root).build(), 0, payload);
        return updated.getStructValue();
    }

    private Value mergeAt(Value current, int i, Map<String, Value> payload) {
        if (i == segments.size()) {
            Struct.Builder merged = current != null && current.hasStructValue()
                    ? current.getStructValue().toBuilder() : Struct.newBuilder();
            merged.putAllFields(payload);
            return Value.newBuilder().setStructValue(merged).build();
        }
        Segment segment = segments.get(i);
        if (segment instanceof Key key) {
            Struct.Builder object = current != null && current.hasStructValue()
                    ? current.getStructValue().toBuilder() : Struct.newBuilder();
            Value updated = mergeAt(object.getFieldsMap().get(key.name()), i + 1, payload);
            if (updated != null) {
                object.putFields(key.name(), updated);
            }
            return Value.newBuilder().setStructValue(object).build();
        }
        if (current == null || !current.hasListValue()) {
            return current; // [] and [n] never create arrays
        }
        ListValue.Builder list = current.getListValue().toBuilder();
        for (int e = 0; e < list.getValuesCount(); e++) {
            if (segment instanceof Each || ((Index) segment).index() == e) {
                Value updated = mergeAt(list.getValues(e), i + 1, payload);
                if (updated != null) {
                    list.setValues(e, updated);
                }
            }
        }
        return Value.newBuilder().setListValue(list).build();
    }

    /** Returns {@code root} without the value(s) at this path ({@code delete_payload}). */
    Struct delete(Struct root) {
        Value updated = deleteAt(Value.newBuilder().setStructValue(root).build(), 0);
        return updated.getStructValue();
    }

    private Value deleteAt(Value current, int i) {
        Segment segment = segments.get(i);
        boolean last = i == segments.size() - 1;
        if (segment instanceof Key key) {
            if (!current.hasStructValue() || !current.getStructValue().containsFields(key.name())) {
                return current;
            }
            Struct.Builder object = current.getStructValue().toBuilder();
            if (last) {
                object.removeFields(key.name());
            } else {
                object.putFields(key.name(), deleteAt(object.getFieldsMap().get(key.name()), i + 1));
            }
            return Value.newBuilder().setStructValue(object).build();
        }
        if (!current.hasListValue()) {
            return current;
        }
        List<Value> kept = new ArrayList<>();
        List<Value> elements = current.getListValue().getValuesList();
        for (int e = 0; e < elements.size(); e++) {
            boolean selected = segment instanceof Each || ((Index) segment).index() == e;
            if (!selected) {
                kept.add(elements.get(e));
            } else if (!last) {
                kept.add(deleteAt(elements.get(e), i + 1));
            }
        }
        return Value.newBuilder().setListValue(ListValue.newBuilder().addAllValues(kept)).build();
    }

    @Override
    public String toString() {
        return text;
    }
}
