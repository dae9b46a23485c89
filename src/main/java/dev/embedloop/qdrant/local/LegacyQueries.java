package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Points.ContextExamplePair;
import io.qdrant.client.grpc.Points.ContextInput;
import io.qdrant.client.grpc.Points.ContextInputPair;
import io.qdrant.client.grpc.Points.DenseVector;
import io.qdrant.client.grpc.Points.DiscoverInput;
import io.qdrant.client.grpc.Points.DiscoverPoints;
import io.qdrant.client.grpc.Points.Query;
import io.qdrant.client.grpc.Points.QueryPointGroups;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.RecommendInput;
import io.qdrant.client.grpc.Points.RecommendPointGroups;
import io.qdrant.client.grpc.Points.RecommendPoints;
import io.qdrant.client.grpc.Points.SearchPointGroups;
import io.qdrant.client.grpc.Points.Vector;
import io.qdrant.client.grpc.Points.VectorExample;
import io.qdrant.client.grpc.Points.VectorInput;

/**
 * The pre-Query-API requests (recommend, discover, search groups, recommend groups) restated as the universal
 * query they are equivalent to, which is also how Qdrant itself now serves them.
 */
final class LegacyQueries {

    private LegacyQueries() {
    }

    static QueryPoints recommend(RecommendPoints r) {
        QueryPoints.Builder q = QueryPoints.newBuilder().setCollectionName(r.getCollectionName())
                .setQuery(Query.newBuilder().setRecommend(recommendInput(r.getPositiveList(), r.getNegativeList(),
                        r.getPositiveVectorsList(), r.getNegativeVectorsList(), r.hasStrategy() ? r.getStrategy() : null)))
                .setLimit(r.getLimit())
                .setWithPayload(r.getWithPayload());
        if (r.hasFilter()) {
            q.setFilter(r.getFilter());
        }
        if (r.hasOffset()) {
            q.setOffset(r.getOffset());
        }
        if (r.hasScoreThreshold()) {
            q.setScoreThreshold(r.getScoreThreshold());
        }
        if (r.hasUsing()) {
            q.setUsing(r.getUsing());
        }
        if (r.hasWithVectors()) {
            q.setWithVectors(r.getWithVectors());
        }
        if (r.hasLookupFrom()) {
            q.setLookupFrom(r.getLookupFrom());
        }
        return q.build();
    }

    static QueryPointGroups recommendGroups(RecommendPointGroups r) {
        QueryPointGroups.Builder q = QueryPointGroups.newBuilder().setCollectionName(r.getCollectionName())
                .setQuery(Query.newBuilder().setRecommend(recommendInput(r.getPositiveList(), r.getNegativeList(),
                        r.getPositiveVectorsList(), r.getNegativeVectorsList(), r.hasStrategy() ? r.getStrategy() : null)))
                .setLimit(r.getLimit()).setGroupSize(r.getGroupSize()).setGroupBy(r.getGroupBy())
                .setWithPayload(r.getWithPayload());
        if (r.hasFilter()) {
            q.setFilter(r.getFilter());
        }
        if (r.hasScoreThreshold()) {
            q.setScoreThreshold(r.getScoreThreshold());
        }
        if (r.hasUsing()) {
            q.setUsing(r.getUsing());
        }
        if (r.hasWithVectors()) {
            q.setWithVectors(r.getWithVectors());
        }
        if (r.hasLookupFrom()) {
            q.setLookupFrom(r.getLookupFrom());
        }
        if (r.hasWithLookup()) {
            q.setWithLookup(r.getWithLookup());
        }
        return q.build();
    }

    static QueryPointGroups searchGroups(SearchPointGroups s) {
        if (s.hasSparseIndices()) {
            throw QdrantErrors.unsupported("sparse vectors");
        }
        QueryPointGroups.Builder q = QueryPointGroups.newBuilder().setCollectionName(s.getCollectionName())
                .setQuery(Query.newBuilder().setNearest(VectorInput.newBuilder()
                        .setDense(DenseVector.newBuilder().addAllData(s.getVectorList()))))
                .setLimit(s.getLimit()).setGroupSize(s.getGroupSize()).setGroupBy(s.getGroupBy())
                .setWithPayload(s.getWithPayload());
        if (s.hasFilter()) {
            q.setFilter(s.getFilter());
        }
        if (s.hasScoreThreshold()) {
            q.setScoreThreshold(s.getScoreThreshold());
        }
        if (s.hasVectorName()) {
            q.setUsing(s.getVectorName());
        }
        if (s.hasWithVectors()) {
            q.setWithVectors(s.getWithVectors());
        }
        if (s.hasWithLookup()) {
            q.setWithLookup(s.getWithLookup());
        }
        return q.build();
    }

    static QueryPoints discover(DiscoverPoints d) {
        ContextInput.Builder context = ContextInput.newBuilder();
        for (ContextExamplePair pair : d.getContextList()) {
            context.addPairs(ContextInputPair.newBuilder().setPositive(input(pair.getPositive()))
                    .setNegative(input(pair.getNegative())));
        }
        if (!d.getTarget().hasSingle()) {
            throw QdrantErrors.invalidArgument("Target is not specified");
        }
        QueryPoints.Builder q = QueryPoints.newBuilder().setCollectionName(d.getCollectionName())
                .setQuery(Query.newBuilder().setDiscover(DiscoverInput.newBuilder()
                        .setTarget(input(d.getTarget().getSingle())).setContext(context)))
                .setLimit(d.getLimit())
                .setWithPayload(d.getWithPayload());
        if (d.hasFilter()) {
            q.setFilter(d.getFilter());
        }
        if (d.hasOffset()) {
            q.setOffset(d.getOffset());
        }
        if (d.hasUsing()) {
            q.setUsing(d.getUsing());
        }
        if (d.hasWithVectors()) {
            q.setWithVectors(d.getWithVectors());
        }
        if (d.hasLookupFrom()) {
            q.setLookupFrom(d.getLookupFrom());
        }
        return q.build();
    }

    private static RecommendInput recommendInput(Iterable<PointId> positive, Iterable<PointId> negative,
                                                 Iterable<Vector> positiveVectors, Iterable<Vector> negativeVectors,
                                                 io.qdrant.client.grpc.Points.RecommendStrategy strategy) {
        RecommendInput.Builder r = RecommendInput.newBuilder();
        positive.forEach(id -> r.addPositive(VectorInput.newBuilder().setId(id)));
        positiveVectors.forEach(v -> r.addPositive(input(v)));
        negative.forEach(id -> r.addNegative(VectorInput.newBuilder().setId(id)));
        negativeVectors.forEach(v -> r.addNegative(input(v)));
        if (strategy != null) {
            r.setStrategy(strategy);
        }
        return r.build();
    }

    private static VectorInput input(VectorExample example) {
        return switch (example.getExampleCase()) {
            case ID -> VectorInput.newBuilder().setId(example.getId()).build();
            case VECTOR -> input(example.getVector());
            default -> throw QdrantErrors.invalidArgument("Vector example is not specified");
        };
    }

    @SuppressWarnings("deprecation") // the flat `data` encoding is deprecated, but clients still send it
    private static VectorInput input(Vector v) {
        return switch (v.getVectorCase()) {
            case DENSE -> VectorInput.newBuilder().setDense(v.getDense()).build();
            case SPARSE -> VectorInput.newBuilder().setSparse(v.getSparse()).build();
            case MULTI_DENSE -> VectorInput.newBuilder().setMultiDense(v.getMultiDense()).build();
            case VECTOR_NOT_SET -> {
                if (v.hasIndices()) {
                    throw QdrantErrors.unsupported("sparse vectors");
                }
                yield VectorInput.newBuilder().setDense(DenseVector.newBuilder().addAllData(v.getDataList())).build();
            }
            default -> throw QdrantErrors.unsupported("inference (documents, images and objects)");
        };
    }
}
