package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Points.SearchMatrixOffsets;
import io.qdrant.client.grpc.Points.SearchMatrixPair;
import io.qdrant.client.grpc.Points.SearchMatrixPairs;
import io.qdrant.client.grpc.Points.SearchMatrixPoints;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The distance matrix API ({@code SearchMatrixPairs}, {@code SearchMatrixOffsets}): a random sample of the
 * filtered points that have the vector (default 10, at least 2), and for each of them its {@code limit} nearest
 * (default 3) among the sample, itself left out. The caller holds the read lock.
 */
final class DistanceMatrix {

    private static final int DEFAULT_SAMPLE = 10;
    private static final int DEFAULT_LIMIT = 3;

    private final PointStore points;

    DistanceMatrix(PointStore points) {
        this.points = points;
    }

    private record Neighbour(int from, int to, float score) {
    }

    private record Matrix(List<PointEntry> sample, List<Neighbour> neighbours) {
    }

    SearchMatrixPairs pairs(SearchMatrixPoints request) {
        Matrix m = compute(request);
        SearchMatrixPairs.Builder out = SearchMatrixPairs.newBuilder();
        for (Neighbour n : m.neighbours()) {
            out.addPairs(SearchMatrixPair.newBuilder().setA(m.sample().get(n.from()).id.toProto())
                    .setB(m.sample().get(n.to()).id.toProto()).setScore(n.score()));
        }
        return out.build();
    }

    SearchMatrixOffsets offsets(SearchMatrixPoints request) {
        Matrix m = compute(request);
        SearchMatrixOffsets.Builder out = SearchMatrixOffsets.newBuilder();
        for (PointEntry e : m.sample()) {
            out.addIds(e.id.toProto());
        }
        for (Neighbour n : m.neighbours()) {
            out.addOffsetsRow(n.from()).addOffsetsCol(n.to()).addScores(n.score());
        }
        return out.build();
    }

    private Matrix compute(SearchMatrixPoints request) {
        long sampleSize = request.hasSample() ? VectorSearch.unsigned(request.getSample()) : DEFAULT_SAMPLE;
        long limit = request.hasLimit() ? VectorSearch.unsigned(request.getLimit()) : DEFAULT_LIMIT;
        if (sampleSize < 2) {
            throw QdrantErrors.validation("sample", "value " + sampleSize + " invalid, must be 2 or larger");
        }
        if (limit < 1) {
            throw QdrantErrors.validation("limit", "value 0 invalid, must be 1 or larger");
        }
        int store = points.schema().index(request.hasUsing() ? request.getUsing() : "");
        Filters.Cond filter = points.compile(request.hasFilter() ? request.getFilter() : null);
        List<PointEntry> candidates = new ArrayList<>();
        for (PointEntry e : points.all()) {
            if (e.hasVector(store) && filter.test(e.payload, e)) {
                candidates.add(e);
            }
        }
        Collections.shuffle(candidates, ThreadLocalRandom.current());
        List<PointEntry> sample = new ArrayList<>(candidates.subList(0, (int) Math.min(sampleSize,
                candidates.size())));
        sample.sort((a, b) -> a.id.compareTo(b.id));
        DenseVectors vectors = points.schema().store(store);
        List<Neighbour> neighbours = new ArrayList<>();
        for (int i = 0; i < sample.size(); i++) {
            float[] query = vectors.get(sample.get(i).slots[store]);
            QueryScorer scorer = QueryScorer.nearest(vectors.distance, query);
            TopK top = new TopK((int) Math.min(limit, sample.size()), scorer.smallerIsBetter);
            for (int j = 0; j < sample.size(); j++) {
                if (j != i) {
                    PointEntry other = sample.get(j);
                    top.offer(scorer.score(vectors.data(), other.slots[store] * vectors.dim), other);
                }
            }
            for (TopK.Hit hit : top.sorted()) {
                neighbours.add(new Neighbour(i, sample.indexOf(hit.entry()), hit.score()));
            }
        }
        return new Matrix(sample, neighbours);
    }
}
