package dev.embedloop.testing;

import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.qdrant.VectorSink;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/** A {@link VectorSink} in memory, keyed by point id like Qdrant; can be told to fail. */
public final class InMemorySink implements VectorSink {

    private final Map<UUID, ChunkPoint> points = new ConcurrentHashMap<>();
    private volatile RuntimeException failure;
    private int upsertCalls;

    /** Makes every following call throw {@code e} until {@link #recover()}. */
    public void failWith(RuntimeException e) {
        this.failure = e;
    }

    public void recover() {
        this.failure = null;
    }

    @Override
    public synchronized void upsert(List<ChunkPoint> batch) {
        check();
        upsertCalls++;
        for (ChunkPoint p : batch) {
            points.put(p.pointId(), p);
        }
    }

    @Override
    public synchronized void deleteDocument(String docId) {
        check();
        points.values().removeIf(p -> p.docId().equals(docId));
    }

    @Override
    public synchronized void deleteChunksFrom(String docId, int fromChunk) {
        check();
        points.values().removeIf(p -> p.docId().equals(docId) && p.chunk() >= fromChunk);
    }

    private void check() {
        RuntimeException e = failure;
        if (e != null) {
            throw e;
        }
    }

    public synchronized List<ChunkPoint> pointsOf(String docId) {
        return points.values().stream()
                .filter(p -> p.docId().equals(docId))
                .sorted(java.util.Comparator.comparingInt(ChunkPoint::chunk))
                .toList();
    }

    /** doc id → number of points. */
    public synchronized Map<String, Long> countsByDocument() {
        return points.values().stream()
                .collect(Collectors.groupingBy(ChunkPoint::docId, TreeMap::new, Collectors.counting()));
    }

    public synchronized int size() {
        return points.size();
    }

    public synchronized int upsertCalls() {
        return upsertCalls;
    }
}
