package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.GroupId;
import io.qdrant.client.grpc.Points.PointGroup;
import io.qdrant.client.grpc.Points.QueryPointGroups;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.WithPayloadSelector;
import io.qdrant.client.grpc.Points.WithVectorsSelector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Grouped queries ({@code QueryGroups}, and through it {@code SearchGroups} and {@code RecommendGroups}): the
 * query's hits, best first, grouped by the value of a payload key.
 *
 * <p>As in Qdrant: only string and integer values form groups (a point with an array joins the group of each
 * element; points without such a value are left out), at most {@code group_size} hits per group (default 3), at
 * most {@code limit} groups (default 10), in the order of their best hit. A non-negative integer group id comes
 * back as {@code unsigned_value}, a negative one as {@code integer_value}. {@code with_lookup} is the caller's
 * ({@link Lookups}). The caller holds the read lock.
 */
final class PointGroups {

    private static final int DEFAULT_GROUP_SIZE = 3;

    private final PointStore points;
    private final QueryEngine queries;
    private final PointOutput output;

    PointGroups(PointStore points, QueryEngine queries, PointOutput output) {
        this.points = points;
        this.queries = queries;
        this.output = output;
    }

    List<PointGroup> query(QueryPointGroups request) {
        if (request.getGroupBy().isEmpty()) {
            throw QdrantErrors.validation("group_by", "must not be empty");
        }
        long limit = request.hasLimit() ? VectorSearch.unsigned(request.getLimit()) : QueryEngine.DEFAULT_LIMIT;
        long groupSize = request.hasGroupSize() ? VectorSearch.unsigned(request.getGroupSize()) : DEFAULT_GROUP_SIZE;
        if (limit == 0) {
            throw QdrantErrors.validation("limit", "value 0 invalid, must be 1 or larger");
        }
        if (groupSize == 0) {
            throw QdrantErrors.validation("group_size", "value 0 invalid, must be 1 or larger");
        }
        JsonPath key = JsonPath.parse(request.getGroupBy());
        QueryPoints.Builder query = QueryPoints.newBuilder().setCollectionName(request.getCollectionName())
                .addAllPrefetch(request.getPrefetchList());
        if (request.hasQuery()) {
            query.setQuery(request.getQuery());
        }
        if (request.hasUsing()) {
            query.setUsing(request.getUsing());
        }
        if (request.hasFilter()) {
            query.setFilter(request.getFilter());
        }
        if (request.hasScoreThreshold()) {
            query.setScoreThreshold(request.getScoreThreshold());
        }
        if (request.hasLookupFrom()) {
            query.setLookupFrom(request.getLookupFrom());
        }
        // every candidate, best first: exact search scores them all anyway
        List<ScoredHit> hits = queries.run(QueryEngine.top(query.build(), Math.max(points.size(), 1)),
                Filters.ALL);
        Map<GroupId, List<ScoredHit>> groups = new LinkedHashMap<>();
        for (ScoredHit hit : hits) {
            for (GroupId id : groupIds(key, hit.entry())) {
                List<ScoredHit> group = groups.get(id);
                if (group == null) {
                    if (groups.size() >= limit) {
                        continue;
                    }
                    group = new ArrayList<>();
                    groups.put(id, group);
                }
                if (group.size() < groupSize) {
                    group.add(hit);
                }
            }
        }
        WithPayloadSelector withPayload = request.getWithPayload();
        WithVectorsSelector withVectors = request.hasWithVectors() ? request.getWithVectors() : null;
        List<PointGroup> out = new ArrayList<>();
        for (Map.Entry<GroupId, List<ScoredHit>> e : groups.entrySet()) {
            PointGroup.Builder group = PointGroup.newBuilder().setId(e.getKey());
            for (ScoredHit hit : e.getValue()) {
                group.addHits(output.scored(hit, withPayload, withVectors));
            }
            out.add(group.build());
        }
        return out;
    }

    private static List<GroupId> groupIds(JsonPath key, PointEntry e) {
        List<GroupId> ids = new ArrayList<>();
        for (Value v : key.values(e.payload, true)) {
            GroupId id = switch (v.getKindCase()) {
                case STRING_VALUE -> GroupId.newBuilder().setStringValue(v.getStringValue()).build();
                case INTEGER_VALUE -> v.getIntegerValue() >= 0
                        ? GroupId.newBuilder().setUnsignedValue(v.getIntegerValue()).build()
                        : GroupId.newBuilder().setIntegerValue(v.getIntegerValue()).build();
                default -> null;
            };
            if (id != null && !ids.contains(id)) {
                ids.add(id);
            }
        }
        return ids;
    }
}
