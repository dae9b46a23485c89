package dev.embedloop.qdrant;

import com.fasterxml.jackson.databind.JsonNode;
import io.qdrant.client.ValueFactory;
import io.qdrant.client.grpc.JsonWithInt.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Converts between Jackson trees and Qdrant payload values. */
public final class Payloads {

    private Payloads() {}

    public static Value toValue(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return ValueFactory.nullValue();
        }
        if (node.isTextual()) {
            return ValueFactory.value(node.asText());
        }
        if (node.isBoolean()) {
            return ValueFactory.value(node.asBoolean());
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return ValueFactory.value(node.asLong());
        }
        if (node.isNumber()) {
            return ValueFactory.value(node.asDouble());
        }
        if (node.isArray()) {
            List<Value> items = new ArrayList<>(node.size());
            node.forEach(item -> items.add(toValue(item)));
            return ValueFactory.list(items);
        }
        Map<String, Value> fields = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> field = it.next();
            fields.put(field.getKey(), toValue(field.getValue()));
        }
        return ValueFactory.value(fields);
    }
}
