package dev.embedloop.qdrant.local;

import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.VectorsFactory.vectors;

import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.ScoredPoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * How exact search in LocalQdrant compares with a plain Java dot-product scan over the same vectors.
 *
 * <p>Loads {@code points} random unit vectors of {@code dim} dimensions into a Cosine collection through the
 * official client, then times top-10 queries end to end (client, gRPC, scan, response) against a plain loop
 * that computes every dot product into a {@code float[]} and picks the best 10, on the same flat array layout.
 * Prints the median of each, their ratio (the target is at most 2.0) and the CPU. Not a test: run with
 * {@code java -cp target/classes:target/test-classes:$(deps) dev.embedloop.qdrant.local.LocalSearchBench
 * [points] [dim] [queries]}.
 */
public final class LocalSearchBench {

    private LocalSearchBench() {
    }

    public static void main(String[] args) throws Exception {
        int points = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int dim = args.length > 1 ? Integer.parseInt(args[1]) : 384;
        int queries = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        Random random = new Random(42);
        float[] data = new float[points * dim];
        for (int p = 0; p < points; p++) {
            float[] v = unit(random, dim);
            System.arraycopy(v, 0, data, p * dim, dim);
        }
        float[][] query = new float[queries][];
        for (int q = 0; q < queries; q++) {
            query[q] = unit(random, dim);
        }

        try (LocalQdrant server = LocalQdrant.builder().port(0).build().start();
             QdrantClient client = new QdrantClient(
                     QdrantGrpcClient.newBuilder(server.host(), server.port(), false).build())) {
            client.createCollectionAsync("bench", VectorParams.newBuilder().setSize(dim)
                    .setDistance(Distance.Cosine).build()).get();
            long loadStart = System.nanoTime();
            for (int from = 0; from < points; from += 1000) {
                List<PointStruct> batch = new ArrayList<>();
                for (int p = from; p < Math.min(points, from + 1000); p++) {
                    batch.add(PointStruct.newBuilder().setId(id(p))
                            .setVectors(vectors(Arrays.copyOfRange(data, p * dim, p * dim + dim))).build());
                }
                client.upsertAsync("bench", batch).get(60, TimeUnit.SECONDS);
            }
            System.out.printf("loaded %d points of %d dims in %.1f s%n", points, dim,
                    (System.nanoTime() - loadStart) / 1e9);

            // warm both paths up, then measure them interleaved so that both see the same machine load
            for (int w = 0; w < 20; w++) {
                plainScan(data, dim, query[w % queries]);
                localSearch(client, query[w % queries]);
            }
            long[] plain = new long[queries];
            long[] local = new long[queries];
            int agree = 0;
            for (int q = 0; q < queries; q++) {
                long t0 = System.nanoTime();
                int[] expected = plainScan(data, dim, query[q]);
                long t1 = System.nanoTime();
                List<ScoredPoint> hits = localSearch(client, query[q]);
                long t2 = System.nanoTime();
                plain[q] = t1 - t0;
                local[q] = t2 - t1;
                if (hits.get(0).getId().getNum() == expected[0]) {
                    agree++;
                }
            }
            double plainMs = median(plain) / 1e6;
            double localMs = median(local) / 1e6;
            System.out.printf("CPU: %s (%d cores visible)%n", cpuModel(), Runtime.getRuntime().availableProcessors());
            System.out.printf("plain Java dot-product scan, top 10: median %.2f ms%n", plainMs);
            System.out.printf("LocalQdrant query via the official client, top 10: median %.2f ms%n", localMs);
            System.out.printf("ratio LocalQdrant / plain scan: %.2f (target <= 2.0); same best hit in %d/%d queries%n",
                    localMs / plainMs, agree, queries);
        }
    }

    private static List<ScoredPoint> localSearch(QdrantClient client, float[] q) throws Exception {
        return client.queryAsync(QueryPoints.newBuilder().setCollectionName("bench").setQuery(nearest(q))
                .setLimit(10).build()).get(60, TimeUnit.SECONDS);
    }

    /** The plain reference: a straightforward dot-product loop over every vector, then the 10 best. */
    static int[] plainScan(float[] data, int dim, float[] q) {
        int n = data.length / dim;
        float[] scores = new float[n];
        for (int p = 0; p < n; p++) {
            float s = 0;
            int off = p * dim;
            for (int i = 0; i < dim; i++) {
                s += q[i] * data[off + i];
            }
            scores[p] = s;
        }
        int[] best = new int[10];
        float[] bestScore = new float[10];
        Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
        for (int p = 0; p < n; p++) {
            float s = scores[p];
            if (s > bestScore[9]) {
                int i = 9;
                while (i > 0 && bestScore[i - 1] < s) {
                    bestScore[i] = bestScore[i - 1];
                    best[i] = best[i - 1];
                    i--;
                }
                bestScore[i] = s;
                best[i] = p;
            }
        }
        return best;
    }

    private static float[] unit(Random random, int dim) {
        float[] v = new float[dim];
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < dim; i++) {
            v[i] *= inv;
        }
        return v;
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown";
    }
}
