package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Points.ContextInput;
import io.qdrant.client.grpc.Points.ContextInputPair;
import io.qdrant.client.grpc.Points.DiscoverInput;
import io.qdrant.client.grpc.Points.GetPoints;
import io.qdrant.client.grpc.Points.GroupId;
import io.qdrant.client.grpc.Points.LookupLocation;
import io.qdrant.client.grpc.Points.PointGroup;
import io.qdrant.client.grpc.Points.PrefetchQuery;
import io.qdrant.client.grpc.Points.Query;
import io.qdrant.client.grpc.Points.QueryPointGroups;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.RecommendInput;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.VectorInput;
import io.qdrant.client.grpc.Points.WithLookup;
import io.qdrant.client.grpc.Points.WithPayloadSelector;
import io.qdrant.client.grpc.Points.WithVectorsSelector;
import java.util.ArrayList;
import java.util.List;

/**
 * References to other collections, resolved before a query runs so that no collection lock is held while
 * another is read: {@code lookup_from} (point ids in a query name vectors of another collection, under its
 * {@code vector_name} or the query's {@code using}; those points are then no reason to leave anything out of the
 * results) and {@code with_lookup} (each group gets the point of the lookup collection whose id is the group id,
 * with its payload by default and without vectors).
 */
final class Lookups {

    private final LocalStorage storage;

    Lookups(LocalStorage storage) {
        this.storage = storage;
    }

    QueryPoints resolve(QueryPoints request) {
        if (!request.hasLookupFrom() && !anyLookup(request.getPrefetchList())) {
            return request;
        }
        QueryPoints.Builder b = request.toBuilder().clearPrefetch().addAllPrefetch(prefetches(request.getPrefetchList()));
        if (request.hasLookupFrom()) {
            if (request.hasQuery()) {
                b.setQuery(query(request.getQuery(), request.getLookupFrom(), request.getUsing()));
            }
            b.clearLookupFrom();
        }
        return b.build();
    }

    QueryPointGroups resolve(QueryPointGroups request) {
        if (!request.hasLookupFrom() && !anyLookup(request.getPrefetchList())) {
            return request;
        }
        QueryPointGroups.Builder b = request.toBuilder().clearPrefetch()
                .addAllPrefetch(prefetches(request.getPrefetchList()));
        if (request.hasLookupFrom()) {
            if (request.hasQuery()) {
                b.setQuery(query(request.getQuery(), request.getLookupFrom(), request.getUsing()));
            }
            b.clearLookupFrom();
        }
        return b.build();
    }

    /** Adds to each group the point of the lookup collection with the group's id (when there is one). */
    List<PointGroup> attach(List<PointGroup> groups, WithLookup lookup) {
        List<PointId> ids = new ArrayList<>();
        for (PointGroup g : groups) {
            ids.add(pointId(g.getId()));
        }
        GetPoints.Builder get = GetPoints.newBuilder().setCollectionName(lookup.getCollection()).addAllIds(ids)
                .setWithPayload(lookup.hasWithPayload() ? lookup.getWithPayload()
                        : WithPayloadSelector.newBuilder().setEnable(true).build());
        if (lookup.hasWithVectors()) {
            get.setWithVectors(lookup.getWithVectors());
        } else {
            get.setWithVectors(WithVectorsSelector.newBuilder().setEnable(false));
        }
        List<RetrievedPoint> found = storage.withCollection(lookup.getCollection(), c -> c.get(get.build()));
        List<PointGroup> out = new ArrayList<>();
        for (PointGroup g : groups) {
            PointKey key = PointKey.of(pointId(g.getId()));
            PointGroup.Builder b = g.toBuilder();
            for (RetrievedPoint p : found) {
                if (PointKey.of(p.getId()).equals(key)) {
                    b.setLookup(p);
                }
            }
            out.add(b.build());
        }
        return out;
    }

    private static PointId pointId(GroupId id) {
        return switch (id.getKindCase()) {
            case UNSIGNED_VALUE -> PointId.newBuilder().setNum(id.getUnsignedValue()).build();
            case STRING_VALUE -> PointId.newBuilder().setUuid(id.getStringValue()).build();
            default -> throw QdrantErrors.badRequest("Group id " + id + " is not a valid point id for with_lookup");
        };
    }

    private boolean anyLookup(List<PrefetchQuery> prefetches) {
        for (PrefetchQuery p : prefetches) {
            if (p.hasLookupFrom() || anyLookup(p.getPrefetchList())) {
                return true;
            }
        }
        return false;
    }

    private List<PrefetchQuery> prefetches(List<PrefetchQuery> prefetches) {
        List<PrefetchQuery> out = new ArrayList<>();
        for (PrefetchQuery p : prefetches) {
            PrefetchQuery.Builder b = p.toBuilder().clearPrefetch().addAllPrefetch(prefetches(p.getPrefetchList()));
            if (p.hasLookupFrom()) {
                if (p.hasQuery()) {
                    b.setQuery(query(p.getQuery(), p.getLookupFrom(), p.getUsing()));
                }
                b.clearLookupFrom();
            }
            out.add(b.build());
        }
        return out;
    }

    private Query query(Query q, LookupLocation from, String using) {
        String vector = from.hasVectorName() ? from.getVectorName() : using;
        return switch (q.getVariantCase()) {
            case NEAREST -> q.toBuilder().setNearest(input(q.getNearest(), from, vector)).build();
            case RECOMMEND -> {
                RecommendInput r = q.getRecommend();
                RecommendInput.Builder b = r.toBuilder().clearPositive().clearNegative();
                r.getPositiveList().forEach(v -> b.addPositive(input(v, from, vector)));
                r.getNegativeList().forEach(v -> b.addNegative(input(v, from, vector)));
                yield q.toBuilder().setRecommend(b).build();
            }
            case DISCOVER -> {
                DiscoverInput d = q.getDiscover();
                yield q.toBuilder().setDiscover(DiscoverInput.newBuilder().setTarget(input(d.getTarget(), from, vector))
                        .setContext(context(d.getContext(), from, vector))).build();
            }
            case CONTEXT -> q.toBuilder().setContext(context(q.getContext(), from, vector)).build();
            case NEAREST_WITH_MMR -> q.toBuilder().setNearestWithMmr(q.getNearestWithMmr().toBuilder()
                    .setNearest(input(q.getNearestWithMmr().getNearest(), from, vector))).build();
            default -> q;
        };
    }

    private ContextInput context(ContextInput context, LookupLocation from, String vector) {
        ContextInput.Builder b = ContextInput.newBuilder();
        for (ContextInputPair pair : context.getPairsList()) {
            b.addPairs(ContextInputPair.newBuilder().setPositive(input(pair.getPositive(), from, vector))
                    .setNegative(input(pair.getNegative(), from, vector)));
        }
        return b.build();
    }

    private VectorInput input(VectorInput v, LookupLocation from, String vector) {
        if (v.getVariantCase() != VectorInput.VariantCase.ID) {
            return v;
        }
        PointKey id = PointKey.of(v.getId());
        return storage.withCollection(from.getCollectionName(), c -> c.storedVector(id, vector));
    }
}
