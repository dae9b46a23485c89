package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Points.DenseVector;
import io.qdrant.client.grpc.Points.Query;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.SearchPoints;
import io.qdrant.client.grpc.Points.VectorInput;
import io.qdrant.client.grpc.Points.WithPayloadSelector;
import io.qdrant.client.grpc.Points.WithVectorsSelector;
import java.util.List;
import java.util.Locale;

/**
 * Validates {@code Search} and {@code Query} requests and runs them on a {@link VectorSearch}, in Qdrant's
 * order of checks. The caller holds the collection's read lock.
 */
final class SearchRequests {

    private final PointStore points;
    private final VectorSearch search;

    SearchRequests(PointStore points, VectorSearch search) {
        this.points = points;
        this.search = search;
    }

    List<ScoredPoint> search(SearchPoints request) {
        if (request.hasSparseIndices()) {
            throw QdrantErrors.unsupported("sparse vectors");
        }
        if (request.getLimit() == 0) {
            throw QdrantErrors.validation("limit", "value 0 invalid, must be 1 or larger");
        }
        float[] query = new float[request.getVectorCount()];
        for (int i = 0; i < query.length; i++) {
            query[i] = request.getVector(i);
        }
        int store = points.schema().index(request.hasVectorName() ? request.getVectorName() : "");
        return search.nearest(new VectorSearch.Search(store, query, null, points.compile(request.getFilter()),
                VectorSearch.unsigned(request.getLimit()),
                request.hasOffset() ? VectorSearch.unsigned(request.getOffset()) : 0,
                request.hasScoreThreshold() ? request.getScoreThreshold() : null,
                request.getWithPayload(), request.hasWithVectors() ? request.getWithVectors() : null));
    }

    List<ScoredPoint> query(QueryPoints request) {
        if (request.getPrefetchCount() > 0) {
            throw QdrantErrors.unsupported("prefetch queries");
        }
        if (request.hasLookupFrom()) {
            throw QdrantErrors.unsupported("lookup_from");
        }
        if (request.hasLimit() && request.getLimit() == 0) {
            throw QdrantErrors.validation("limit", "value 0 invalid, must be 1 or larger");
        }
        long limit = request.hasLimit() ? VectorSearch.unsigned(request.getLimit()) : PointReads.DEFAULT_LIMIT;
        long offset = request.hasOffset() ? VectorSearch.unsigned(request.getOffset()) : 0;
        Filters.Cond filter = points.compile(request.hasFilter() ? request.getFilter() : null);
        WithVectorsSelector withVectors = request.hasWithVectors() ? request.getWithVectors() : null;
        WithPayloadSelector withPayload = request.hasWithPayload() ? request.getWithPayload()
                : WithPayloadSelector.getDefaultInstance();
        if (!request.hasQuery()) {
            return search.firstById(filter, limit, offset, withPayload, withVectors);
        }
        Query q = request.getQuery();
        if (q.getVariantCase() == Query.VariantCase.VARIANT_NOT_SET) {
            throw QdrantErrors.invalidArgument("Query is missing a variant");
        }
        if (q.getVariantCase() != Query.VariantCase.NEAREST) {
            throw QdrantErrors.unsupported("the " + q.getVariantCase().name().toLowerCase(Locale.ROOT) + " query");
        }
        int store = points.schema().index(request.hasUsing() ? request.getUsing() : "");
        VectorInput input = q.getNearest();
        float[] vector;
        PointKey byId = null;
        switch (input.getVariantCase()) {
            case DENSE -> {
                DenseVector dense = input.getDense();
                vector = VectorSchema.floats(dense);
            }
            case ID -> {
                byId = PointKey.of(input.getId());
                vector = null;
            }
            case SPARSE -> throw QdrantErrors.unsupported("sparse vectors");
            case MULTI_DENSE -> throw QdrantErrors.unsupported("multivectors");
            default -> throw QdrantErrors.unsupported("inference (documents, images and objects)");
        }
        return search.nearest(new VectorSearch.Search(store, vector, byId, filter, limit, offset,
                request.hasScoreThreshold() ? request.getScoreThreshold() : null, withPayload, withVectors));
    }
}
