package dev.embedloop.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.index.StoredChunk;
import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.qdrant.CollectionBootstrap;
import dev.embedloop.qdrant.QdrantCollections;
import dev.embedloop.qdrant.SparseVector;
import dev.embedloop.qdrant.VectorSink;
import dev.embedloop.qdrant.local.LocalQdrant;
import dev.embedloop.events.Json;
import dev.embedloop.sparse.Bm25;
import dev.embedloop.testing.FakeEncoder;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hybrid retrieval ({@code index.sparse=bm25}) against the local mode: points carry the dense vector
 * and a BM25 sparse vector, and a search fuses both lists. The fake encoder's vectors are random per
 * text, so dense search alone cannot find a document by its words: whatever hybrid search finds
 * by them, BM25 brought up.
 */
class HybridSearchTest {

    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static LocalQdrant qdrant;
    static QdrantClient client;
    static final FakeEncoder encoder = new FakeEncoder();

    @BeforeAll
    static void start() {
        qdrant = LocalQdrant.builder().port(0).build().start();
        client = new QdrantClient(QdrantGrpcClient.newBuilder("localhost", qdrant.port(), false).build());
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (qdrant != null) qdrant.close();
    }

    @Test
    void shouldFindADocumentByItsWordsWhenDenseVectorsCannot() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            texts.add("note " + i + " about topic" + (i * 7919 % 1000) + " and subject" + (i * 104729 % 1000));
        }
        String collection = CollectionBootstrap.collectionName("hybrid", encoder.model().version());
        VectorSink sink = new QdrantCollections(client, "hybrid", encoder.model().dimension(), TIMEOUT, TIMEOUT, true)
                .open(collection);
        Bm25 bm25 = Bm25.standard();
        List<ChunkPoint> points = new ArrayList<>();
        List<float[]> vectors = encoder.encodeDocuments(texts);
        for (int i = 0; i < texts.size(); i++) {
            points.add(new ChunkPoint("d" + i, 0, vectors.get(i), null, null, encoder.model().version(), "h" + i, null,
                    texts.get(i), bm25.document(texts.get(i))));
        }
        sink.upsert(points);
        new QdrantCollections(client, "hybrid", encoder.model().dimension(), TIMEOUT, TIMEOUT, true)
                .pointAlias(collection);

        Searcher dense = new Searcher(client, encoder, "hybrid", TIMEOUT);
        Searcher hybrid = new Searcher(client, encoder, "hybrid", TIMEOUT).hybrid();
        int found = 0;
        int foundDense = 0;
        for (int n = 0; n < texts.size(); n += 4) {
            int i = n;
            String query = "topic" + (i * 7919 % 1000) + " subject" + (i * 104729 % 1000);
            // first in the BM25 list: first after fusion, or second when the dense list's first (also 1/61) ties
            if (hybrid.search(query, 3).stream().limit(2).anyMatch(h -> h.docId().equals("d" + i))) {
                found++;
            }
            if (dense.search(query, 3).get(0).docId().equals("d" + i)) {
                foundDense++;
            }
        }
        assertThat(found).as("documents found in the top two by their words through fusion").isEqualTo(10);
        assertThat(foundDense).as("the fake dense vectors know no words").isLessThan(3);
        // a query without any indexed term falls back to dense search alone
        assertThat(hybrid.search("the of and", 3)).hasSize(3);
    }

    @Test
    void shouldRefuseACollectionWithoutTheSparseVectorNamingTheKey() {
        String collection = "dense_only__v1";
        new QdrantCollections(client, "dense_only", encoder.model().dimension(), TIMEOUT, TIMEOUT, false).open(collection);
        assertThatThrownBy(() -> new QdrantCollections(client, "dense_only", encoder.model().dimension(), TIMEOUT,
                TIMEOUT, true).open(collection))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("index.sparse");
    }

    @Test
    void shouldKeepTheSparseVectorInTheStoredChunkSoThatAReindexCopiesIt() {
        SparseVector sparse = Bm25.standard().document("boundary layer transition on a swept wing");
        ChunkPoint point = new ChunkPoint("d", 0, new float[] {1, 0}, null, null, "v", "h", null, null, sparse);
        StoredChunk stored = StoredChunk.of(point, new float[] {1, 0});
        StoredChunk back = Json.MAPPER.convertValue(Json.MAPPER.valueToTree(stored), StoredChunk.class);
        assertThat(back.point(new float[] {0, 1}, "v2").sparse()).isEqualTo(sparse);
        // chunks stored before sparse vectors existed still read
        StoredChunk old = Json.MAPPER.convertValue(Json.MAPPER.valueToTree(
                new StoredChunk("d", 0, null, null, "h", null, null, new byte[8])), StoredChunk.class);
        assertThat(old.point(new float[] {0, 1}, "v2").sparse()).isNull();
    }
}
