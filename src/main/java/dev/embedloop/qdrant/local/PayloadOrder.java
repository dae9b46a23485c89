package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.Direction;
import io.qdrant.client.grpc.Points.OrderBy;
import io.qdrant.client.grpc.Points.OrderValue;
import io.qdrant.client.grpc.Points.StartFrom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * {@code order_by}: points ordered by a payload value instead of by score or id, in scroll and query.
 *
 * <p>As in Qdrant, the key needs a payload index that supports ranges (integer with {@code range}, float or
 * datetime); the order walks that index, so a point appears once for each of its values under the key, and
 * points without one are left out. {@code start_from} skips values before it in the chosen direction. Every hit
 * carries its {@code order_value} and scores 0.
 */
final class PayloadOrder {

    private final PayloadIndexes indexes;

    PayloadOrder(PayloadIndexes indexes) {
        this.indexes = indexes;
    }

    /** Validates {@code orderBy} against the indexes; returns the indexed type. */
    PayloadSchemaType check(OrderBy orderBy) {
        PayloadSchemaInfo info = indexes.all().get(orderBy.getKey());
        PayloadSchemaType type = info == null ? null : info.getDataType();
        boolean range = info != null && switch (type) {
            case Integer -> !info.hasParams() || !info.getParams().hasIntegerIndexParams()
                    || !info.getParams().getIntegerIndexParams().hasRange()
                    || info.getParams().getIntegerIndexParams().getRange();
            case Float, Datetime -> true;
            default -> false;
        };
        if (!range) {
            throw QdrantErrors.badInput("No range index for `order_by` key: `" + orderBy.getKey()
                    + "`. Please create one to use `order_by`. Check"
                    + " https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload"
                    + " schemas support Range conditions");
        }
        return type;
    }

    /** The candidates that pass {@code filter}, in order, at most {@code limit} hits. */
    List<ScoredHit> order(OrderBy orderBy, Collection<PointEntry> candidates, Filters.Cond filter, long limit) {
        PayloadSchemaType type = check(orderBy);
        JsonPath path = JsonPath.parse(orderBy.getKey());
        boolean descending = orderBy.hasDirection() && orderBy.getDirection() == Direction.Desc;
        Double start = orderBy.hasStartFrom() ? start(orderBy.getStartFrom()) : null;
        List<ScoredHit> hits = new ArrayList<>();
        for (PointEntry e : candidates) {
            if (!filter.test(e.payload, e)) {
                continue;
            }
            for (Value v : path.values(e.payload, true)) {
                OrderValue value = value(v, type);
                if (value == null) {
                    continue;
                }
                double x = number(value);
                if (start != null && (descending ? x > start : x < start)) {
                    continue;
                }
                hits.add(new ScoredHit(e, 0f, value));
            }
        }
        Comparator<ScoredHit> ascending = Comparator.<ScoredHit>comparingDouble(h -> number(h.orderValue()))
                .thenComparing(h -> h.entry().id);
        hits.sort(descending ? ascending.reversed() : ascending);
        return hits.size() > limit ? new ArrayList<>(hits.subList(0, (int) limit)) : hits;
    }

    private static OrderValue value(Value v, PayloadSchemaType type) {
        switch (type) {
            case Integer:
                return v.hasIntegerValue() ? OrderValue.newBuilder().setInt(v.getIntegerValue()).build() : null;
            case Float:
                if (v.hasDoubleValue()) {
                    return OrderValue.newBuilder().setFloat(v.getDoubleValue()).build();
                }
                return v.hasIntegerValue() ? OrderValue.newBuilder().setFloat(v.getIntegerValue()).build() : null;
            case Datetime: {
                Long micros = v.hasStringValue() ? Datetimes.parseMicros(v.getStringValue()) : null;
                return micros == null ? null : OrderValue.newBuilder().setInt(micros).build();
            }
            default:
                return null;
        }
    }

    private static double number(OrderValue v) {
        return v.hasInt() ? v.getInt() : v.getFloat();
    }

    private static Double start(StartFrom from) {
        return switch (from.getValueCase()) {
            case FLOAT -> from.getFloat();
            case INTEGER -> (double) from.getInteger();
            case TIMESTAMP -> (double) Datetimes.micros(from.getTimestamp());
            case DATETIME -> {
                Long micros = Datetimes.parseMicros(from.getDatetime());
                if (micros == null) {
                    throw QdrantErrors.invalidArgument("Unable to parse datetime: " + from.getDatetime());
                }
                yield (double) micros;
            }
            default -> null;
        };
    }
}
