package dev.embedloop.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.VectorSink;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A {@link VectorSink} in memory that refuses what Qdrant refuses, the way Qdrant (or its local
 * mode) says it: vectors of another dimension (INVALID_ARGUMENT), requests over 32 MB
 * (RESOURCE_EXHAUSTED "message exceeds maximum size"), payloads nested beyond protobuf's limit
 * (UNKNOWN, as the local mode answers), and, for tests of the isolation machinery, any point whose
 * text holds {@link #REJECT_MARKER} (INVALID_ARGUMENT) or {@link #AMBIGUOUS_MARKER} (INTERNAL, while
 * other requests succeed). It can also fail any call transiently with a given probability.
 * A refused request changes nothing.
 */
public final class QdrantLikeSink implements VectorSink {

    public static final String REJECT_MARKER = "zzqdrantrejectzz";
    public static final String AMBIGUOUS_MARKER = "zzqdrantambiguouszz";
    /** Deepest payload the local mode accepts (a JSON object level costs 3 protobuf levels of 100). */
    public static final int MAX_PAYLOAD_DEPTH = 32;
    public static final long MAX_REQUEST_BYTES = 32L * 1024 * 1024;

    private final int dimension;
    private final Map<UUID, ChunkPoint> points = new HashMap<>();
    private Random transientRandom;
    private double transientProbability;
    private int transientFailures;
    private int forcedFailures;
    private boolean suspended;
    private int rejections;
    private int probes;
    private int upsertCalls;

    public QdrantLikeSink(int dimension) {
        this.dimension = dimension;
    }

    /** Fails each call with a transient UNAVAILABLE with probability {@code p} (0 to stop). */
    public synchronized void failTransiently(double p, long seed) {
        this.transientProbability = p;
        this.transientRandom = new Random(seed);
    }

    /** Fails the next {@code n} calls with a transient UNAVAILABLE. */
    public synchronized void failNextCalls(int n) {
        this.forcedFailures = n;
    }

    /** While suspended, no transient failure is injected (random or forced). */
    public synchronized void suspendFailures(boolean suspend) {
        this.suspended = suspend;
    }

    @Override
    public synchronized void upsert(List<ChunkPoint> batch) {
        maybeFailTransiently("upsert");
        upsertCalls++;
        long bytes = 0;
        for (ChunkPoint p : batch) {
            if (p.vector().length != dimension) {
                throw refuse(io("INVALID_ARGUMENT Wrong input: Vector dimension error: expected dim: " + dimension
                        + ", got " + p.vector().length), Qdrant.Failure.REJECTED);
            }
            if (p.metadata() != null && depth(p.metadata()) > MAX_PAYLOAD_DEPTH) {
                throw refuse(io("UNKNOWN Application error processing RPC"), Qdrant.Failure.AMBIGUOUS);
            }
            String text = p.text() == null ? "" : p.text();
            if (text.contains(REJECT_MARKER)) {
                throw refuse(io("INVALID_ARGUMENT Validation error in body: [points: refused by the test]"),
                        Qdrant.Failure.REJECTED);
            }
            if (text.contains(AMBIGUOUS_MARKER)) {
                throw refuse(io("INTERNAL Service internal error: refused by the test"), Qdrant.Failure.AMBIGUOUS);
            }
            bytes += 4L * p.vector().length + 200 + text.getBytes(StandardCharsets.UTF_8).length
                    + (p.title() == null ? 0 : p.title().getBytes(StandardCharsets.UTF_8).length)
                    + (p.metadata() == null ? 0 : p.metadata().toString().getBytes(StandardCharsets.UTF_8).length);
        }
        if (bytes > MAX_REQUEST_BYTES) {
            throw refuse(io("RESOURCE_EXHAUSTED gRPC message exceeds maximum size " + MAX_REQUEST_BYTES + ": " + bytes),
                    Qdrant.Failure.REJECTED);
        }
        for (ChunkPoint p : batch) {
            points.put(p.pointId(), p);
        }
    }

    @Override
    public synchronized void deleteDocument(String docId) {
        maybeFailTransiently("delete");
        if (docId.isEmpty()) {
            probes++;
        }
        points.values().removeIf(p -> p.docId().equals(docId));
    }

    @Override
    public synchronized void deleteChunksFrom(String docId, int fromChunk) {
        maybeFailTransiently("delete");
        points.values().removeIf(p -> p.docId().equals(docId) && p.chunk() >= fromChunk);
    }

    private void maybeFailTransiently(String what) {
        if (suspended) {
            return;
        }
        if (forcedFailures > 0) {
            forcedFailures--;
            transientFailures++;
            throw new Qdrant.QdrantException(what + " failed: UNAVAILABLE injected by the test", null, Qdrant.Failure.TRANSIENT);
        }
        if (transientRandom != null && transientProbability > 0 && transientRandom.nextDouble() < transientProbability) {
            transientFailures++;
            throw new Qdrant.QdrantException(what + " failed: UNAVAILABLE injected by the test", null, Qdrant.Failure.TRANSIENT);
        }
    }

    private Qdrant.QdrantException refuse(String message, Qdrant.Failure failure) {
        rejections++;
        return new Qdrant.QdrantException(message, null, failure);
    }

    private static String io(String s) {
        return "upsert failed: " + s;
    }

    /** JSON depth of a node: a scalar is 0, an object or array one more than its deepest child. */
    static int depth(JsonNode node) {
        int max = 0;
        for (JsonNode child : node) {
            max = Math.max(max, depth(child));
        }
        return node.isContainerNode() ? max + 1 : 0;
    }

    public synchronized List<ChunkPoint> pointsOf(String docId) {
        List<ChunkPoint> out = new ArrayList<>();
        for (ChunkPoint p : points.values()) {
            if (p.docId().equals(docId)) {
                out.add(p);
            }
        }
        out.sort(Comparator.comparingInt(ChunkPoint::chunk));
        return out;
    }

    /** doc id → number of points. */
    public synchronized Map<String, Integer> countsByDocument() {
        Map<String, Integer> out = new TreeMap<>();
        for (ChunkPoint p : points.values()) {
            out.merge(p.docId(), 1, Integer::sum);
        }
        return out;
    }

    public synchronized int size() {
        return points.size();
    }

    public synchronized int transientFailures() {
        return transientFailures;
    }

    public synchronized int rejections() {
        return rejections;
    }

    public synchronized int probes() {
        return probes;
    }

    public synchronized int upsertCalls() {
        return upsertCalls;
    }
}
