package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.FacetCounts;
import io.qdrant.client.grpc.Points.FacetHit;
import io.qdrant.client.grpc.Points.FacetValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code Facet}: how many filtered points have each value of a payload key. As in Qdrant the key needs a keyword,
 * integer, bool or uuid index, a point counts once per distinct value, and hits come back by count descending,
 * then value ascending, at most {@code limit} (default 10). The caller holds the read lock.
 */
final class Facets {

    private static final int DEFAULT_LIMIT = 10;

    private final PointStore points;
    private final PayloadIndexes indexes;

    Facets(PointStore points, PayloadIndexes indexes) {
        this.points = points;
        this.indexes = indexes;
    }

    List<FacetHit> count(FacetCounts request) {
        PayloadSchemaInfo index = indexes.all().get(request.getKey());
        boolean facetable = index != null && switch (index.getDataType()) {
            case Keyword, Bool, Uuid -> true;
            case Integer -> !index.hasParams() || !index.getParams().hasIntegerIndexParams()
                    || !index.getParams().getIntegerIndexParams().hasLookup()
                    || index.getParams().getIntegerIndexParams().getLookup();
            default -> false;
        };
        if (!facetable) {
            throw QdrantErrors.badInput("No appropriate index for faceting: `" + request.getKey() + "`. Please"
                    + " create one to facet on this field. Check"
                    + " https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload"
                    + " schemas support Match conditions");
        }
        long limit = request.hasLimit() ? VectorSearch.unsigned(request.getLimit()) : DEFAULT_LIMIT;
        Filters.Cond filter = points.compile(request.hasFilter() ? request.getFilter() : null);
        JsonPath key = JsonPath.parse(request.getKey());
        Map<FacetValue, Long> counts = new HashMap<>();
        for (PointEntry e : points.all()) {
            if (!filter.test(e.payload, e)) {
                continue;
            }
            Set<FacetValue> values = new LinkedHashSet<>();
            for (Value v : key.values(e.payload, true)) {
                FacetValue value = switch (v.getKindCase()) {
                    case STRING_VALUE -> FacetValue.newBuilder().setStringValue(v.getStringValue()).build();
                    case INTEGER_VALUE -> FacetValue.newBuilder().setIntegerValue(v.getIntegerValue()).build();
                    case BOOL_VALUE -> FacetValue.newBuilder().setBoolValue(v.getBoolValue()).build();
                    default -> null;
                };
                if (value != null) {
                    values.add(value);
                }
            }
            for (FacetValue value : values) {
                counts.merge(value, 1L, Long::sum);
            }
        }
        List<FacetHit> hits = new ArrayList<>();
        for (Map.Entry<FacetValue, Long> e : counts.entrySet()) {
            hits.add(FacetHit.newBuilder().setValue(e.getKey()).setCount(e.getValue()).build());
        }
        hits.sort(Comparator.comparingLong(FacetHit::getCount).reversed()
                .thenComparing(FacetHit::getValue, Facets::compare));
        return hits.size() > limit ? hits.subList(0, (int) limit) : hits;
    }

    private static int compare(FacetValue a, FacetValue b) {
        if (a.getVariantCase() != b.getVariantCase()) {
            return Integer.compare(a.getVariantCase().getNumber(), b.getVariantCase().getNumber());
        }
        return switch (a.getVariantCase()) {
            case STRING_VALUE -> a.getStringValue().compareTo(b.getStringValue());
            case INTEGER_VALUE -> Long.compare(a.getIntegerValue(), b.getIntegerValue());
            case BOOL_VALUE -> Boolean.compare(a.getBoolValue(), b.getBoolValue());
            default -> 0;
        };
    }
}
