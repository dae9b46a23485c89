package dev.embedloop.qdrant.local;

import static dev.embedloop.qdrant.local.QdrantContractTest.await;
import static io.qdrant.client.ConditionFactory.hasVector;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.VectorFactory.vector;
import static io.qdrant.client.VectorsFactory.namedVectors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.Modifier;
import io.qdrant.client.grpc.Collections.SparseVectorConfig;
import io.qdrant.client.grpc.Collections.SparseVectorParams;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorParamsMap;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.PointVectors;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.ScrollPoints;
import io.qdrant.client.grpc.Points.SearchPoints;
import io.qdrant.client.grpc.Points.SparseIndices;
import io.qdrant.client.grpc.Points.Vector;
import io.qdrant.client.grpc.Points.VectorInput;
import io.qdrant.client.grpc.Points.SparseVector;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * The contract, continued: sparse vectors next to a dense one, plain and with the IDF modifier. Runs against
 * LocalQdrant and, with {@code QDRANT_URL}, a real Qdrant (see {@link QdrantContractTest}).
 */
class QdrantContractSparseTest {

    @AfterAll
    static void closeTargets() throws Exception {
        QdrantContractTest.closeTargets();
    }

    private static Vector sparse(int[] indices, float[] values) {
        SparseVector.Builder b = SparseVector.newBuilder();
        for (int i = 0; i < indices.length; i++) {
            b.addIndices(indices[i]).addValues(values[i]);
        }
        return Vector.newBuilder().setSparse(b).build();
    }

    private static PointStruct point(long id, Vector text) {
        Map<String, Vector> vectors = new HashMap<>(Map.of("dense", vector(1f, 0f)));
        if (text != null) {
            vectors.put("text", text);
            vectors.put("idf", text);
        }
        return PointStruct.newBuilder().setId(id(id)).setVectors(namedVectors(vectors)).build();
    }

    private static List<Long> ids(List<ScoredPoint> points) {
        return points.stream().map(p -> p.getId().getNum()).toList();
    }

    private static List<ScoredPoint> query(QdrantContractTest.Target t, String name, String using, VectorInput q) {
        return await(t.client.queryAsync(QueryPoints.newBuilder().setCollectionName(name).setUsing(using)
                .setQuery(nearest(q)).build()));
    }

    @QdrantContractTest.Contract
    void sparseVectorsAreStoredSearchedAndWeightedByIdf(QdrantContractTest.Target t) {
        String name = t.name("sparse");
        await(t.client.createCollectionAsync(CreateCollection.newBuilder().setCollectionName(name)
                .setVectorsConfig(VectorsConfig.newBuilder().setParamsMap(VectorParamsMap.newBuilder()
                        .putMap("dense", VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build())))
                .setSparseVectorsConfig(SparseVectorConfig.newBuilder()
                        .putMap("text", SparseVectorParams.getDefaultInstance())
                        .putMap("idf", SparseVectorParams.newBuilder().setModifier(Modifier.Idf).build()))
                .build()));
        await(t.client.upsertAsync(name, List.of(
                point(1, sparse(new int[] {3, 1}, new float[] {2f, 1f})),
                point(2, sparse(new int[] {2}, new float[] {1f})),
                point(3, sparse(new int[] {1, 2}, new float[] {0.5f, 0.5f})),
                point(4, null))));
        VectorInput q = VectorInput.newBuilder().setSparse(SparseVector.newBuilder().addIndices(1).addIndices(2)
                .addValues(1f).addValues(2f)).build();

        // dot product over shared indices; point 4 has no sparse vector
        List<ScoredPoint> plain = query(t, name, "text", q);
        assertThat(ids(plain)).containsExactly(2L, 3L, 1L);
        assertThat(plain.get(1).getScore()).isCloseTo(1.5f, within(1e-5f));
        List<ScoredPoint> legacy = await(t.client.searchAsync(SearchPoints.newBuilder().setCollectionName(name)
                .setVectorName("text").addAllVector(List.of(1f, 2f))
                .setSparseIndices(SparseIndices.newBuilder().addData(1).addData(2)).setLimit(10).build()));
        assertThat(ids(legacy)).containsExactly(2L, 3L, 1L);

        // by id: point 1 itself is left out, and point 2 shares no index with it
        assertThat(ids(query(t, name, "text", VectorInput.newBuilder().setId(id(1)).build())))
                .containsExactly(3L);

        // IDF: n = 3 vectors, indices 1 and 2 both in 2 of them: ln((3 - 2 + 0.5) / (2 + 0.5) + 1) = ln 1.6
        float idf = (float) Math.log(1.6);
        List<ScoredPoint> weighted = query(t, name, "idf", q);
        assertThat(ids(weighted)).containsExactly(2L, 3L, 1L);
        assertThat(weighted.get(0).getScore()).isCloseTo(2 * idf, within(1e-4f));
        assertThat(weighted.get(1).getScore()).isCloseTo(0.5f * idf + 1f * idf, within(1e-4f));

        RetrievedPoint one = await(t.client.retrieveAsync(name, List.of(id(1)), false, true, null)).get(0);
        SparseVector stored = one.getVectors().getVectors().getVectorsMap().get("text").getSparse();
        Map<Integer, Float> weights = new HashMap<>();
        for (int i = 0; i < stored.getIndicesCount(); i++) {
            weights.put(stored.getIndices(i), stored.getValues(i));
        }
        assertThat(weights).containsExactlyInAnyOrderEntriesOf(Map.of(1, 1f, 3, 2f));

        assertThat(await(t.client.scrollAsync(ScrollPoints.newBuilder().setCollectionName(name)
                .setFilter(Filter.newBuilder().addMust(hasVector("text"))).build())).getResultList())
                .extracting(p -> p.getId().getNum()).containsExactly(1L, 2L, 3L);

        await(t.client.updateVectorsAsync(name, List.of(PointVectors.newBuilder().setId(id(2))
                .setVectors(namedVectors(Map.of("text", sparse(new int[] {9}, new float[] {1f})))).build())));
        assertThat(ids(query(t, name, "text", q))).containsExactly(3L, 1L);
    }
}
