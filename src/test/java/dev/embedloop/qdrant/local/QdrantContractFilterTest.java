package dev.embedloop.qdrant.local;

import static dev.embedloop.qdrant.local.QdrantContractTest.await;
import static io.qdrant.client.ConditionFactory.datetimeRange;
import static io.qdrant.client.ConditionFactory.geoBoundingBox;
import static io.qdrant.client.ConditionFactory.geoPolygon;
import static io.qdrant.client.ConditionFactory.geoRadius;
import static io.qdrant.client.ConditionFactory.matchPhrase;
import static io.qdrant.client.ConditionFactory.matchText;
import static io.qdrant.client.ConditionFactory.matchTextAny;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.QueryFactory.orderBy;
import static io.qdrant.client.ValueFactory.value;
import static io.qdrant.client.VectorsFactory.vectors;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.qdrant.client.ValueFactory;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.PayloadIndexParams;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.TextIndexParams;
import io.qdrant.client.grpc.Collections.TokenizerType;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Common.Condition;
import io.qdrant.client.grpc.Common.DatetimeRange;
import io.qdrant.client.grpc.Common.FieldCondition;
import io.qdrant.client.grpc.Common.GeoLineString;
import io.qdrant.client.grpc.Common.GeoPoint;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.Match;
import io.qdrant.client.grpc.Common.Range;
import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.ScrollPoints;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * The contract, continued: full-text matching with and without a full-text index (tokenizers, lowercase, token
 * lengths), field conditions carrying several checks, and datetimes. Runs against LocalQdrant and, with
 * {@code QDRANT_URL}, a real Qdrant (see {@link QdrantContractTest}).
 */
class QdrantContractFilterTest {

    private static final List<String> TITLES = List.of("Hello world", "shell script", "HELLO", "Say hello");

    @AfterAll
    static void closeTargets() throws Exception {
        QdrantContractTest.closeTargets();
    }

    /** Points 1..4 with the same text under {@code plain}, {@code word}, {@code prefix}, {@code exact}, {@code long}. */
    private static String texts(QdrantContractTest.Target t, String base) {
        String name = t.name(base);
        await(t.client.createCollectionAsync(name,
                VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));
        List<PointStruct> points = new ArrayList<>();
        for (int i = 0; i < TITLES.size(); i++) {
            PointStruct.Builder p = PointStruct.newBuilder().setId(id(i + 1)).setVectors(vectors(1f, 0f));
            for (String field : List.of("plain", "word", "prefix", "exact", "long")) {
                p.putPayload(field, value(TITLES.get(i)));
            }
            points.add(p.build());
        }
        await(t.client.upsertAsync(name, points));
        textIndex(t, name, "word", TextIndexParams.newBuilder().setTokenizer(TokenizerType.Word).build());
        textIndex(t, name, "prefix", TextIndexParams.newBuilder().setTokenizer(TokenizerType.Prefix).build());
        textIndex(t, name, "exact", TextIndexParams.newBuilder().setTokenizer(TokenizerType.Whitespace)
                .setLowercase(false).build());
        textIndex(t, name, "long", TextIndexParams.newBuilder().setTokenizer(TokenizerType.Word)
                .setMinTokenLen(4).build());
        return name;
    }

    private static void textIndex(QdrantContractTest.Target t, String collection, String field, TextIndexParams p) {
        await(t.client.createPayloadIndexAsync(collection, field, PayloadSchemaType.Text,
                PayloadIndexParams.newBuilder().setTextIndexParams(p).build(), true, null, null));
    }

    private static List<Long> ids(QdrantContractTest.Target t, String collection, Condition condition) {
        return await(t.client.scrollAsync(ScrollPoints.newBuilder().setCollectionName(collection)
                .setFilter(Filter.newBuilder().addMust(condition)).setLimit(100).build()))
                .getResultList().stream().map(p -> p.getId().getNum()).toList();
    }

    @QdrantContractTest.Contract
    void withoutATextIndexTextMatchesCaseSensitiveSubstrings(QdrantContractTest.Target t) {
        String name = texts(t, "text_plain");
        assertThat(ids(t, name, matchText("plain", "ell"))).containsExactly(1L, 2L, 4L);
        assertThat(ids(t, name, matchText("plain", "Hello"))).containsExactly(1L);
        assertThat(ids(t, name, matchTextAny("plain", "ELL wor"))).containsExactly(1L, 3L);
        assertThat(ids(t, name, matchPhrase("plain", "lo wo"))).containsExactly(1L);
    }

    @QdrantContractTest.Contract
    void withATextIndexTextMatchesTokens(QdrantContractTest.Target t) {
        String name = texts(t, "text_indexed");
        // word tokenizer, lowercased
        assertThat(ids(t, name, matchText("word", "HELLO"))).containsExactly(1L, 3L, 4L);
        assertThat(ids(t, name, matchText("word", "ell"))).isEmpty();
        assertThat(ids(t, name, matchText("word", "hello say"))).containsExactly(4L);
        assertThat(ids(t, name, matchTextAny("word", "script world"))).containsExactly(1L, 2L);
        assertThat(ids(t, name, matchPhrase("word", "say hello"))).containsExactly(4L);
        assertThat(ids(t, name, matchPhrase("word", "hello say"))).isEmpty();
        // prefix tokenizer: a query word matches the words it begins
        assertThat(ids(t, name, matchText("prefix", "hel"))).containsExactly(1L, 3L, 4L);
        assertThat(ids(t, name, matchText("prefix", "sh"))).containsExactly(2L);
        // whitespace tokenizer, case kept
        assertThat(ids(t, name, matchText("exact", "Hello"))).containsExactly(1L);
        // min_token_len 4 drops "say" from documents and from the query alike
        assertThat(ids(t, name, matchText("long", "say hello"))).containsExactly(1L, 3L, 4L);
    }

    @QdrantContractTest.Contract
    void aFieldConditionWithSeveralChecksNeedsAnyOfThem(QdrantContractTest.Target t) {
        String name = t.name("several_checks");
        await(t.client.createCollectionAsync(name,
                VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));
        List<PointStruct> points = new ArrayList<>();
        for (long x : List.of(5L, 7L, 12L)) {
            points.add(PointStruct.newBuilder().setId(id(x)).setVectors(vectors(1f, 0f))
                    .putPayload("x", value(x)).build());
        }
        await(t.client.upsertAsync(name, points));
        Condition matchOrRange = Condition.newBuilder().setField(FieldCondition.newBuilder().setKey("x")
                .setMatch(Match.newBuilder().setInteger(5)).setRange(Range.newBuilder().setGte(10))).build();
        assertThat(ids(t, name, matchOrRange)).containsExactly(5L, 12L);
    }

    @QdrantContractTest.Contract
    void datetimesFilterAndOrderAsQdrantParsesThem(QdrantContractTest.Target t) {
        String name = t.name("datetimes");
        await(t.client.createCollectionAsync(name,
                VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));
        List<String> dates = List.of("2021-01-01T00:00:00Z", "2024-01-02 10:00:00", "2024-06-01", "not a date",
                "2024-01-02T12:30:00+02:00", "2024-03-04T05:06:07.5Z");
        List<PointStruct> points = new ArrayList<>();
        for (int i = 0; i < dates.size(); i++) {
            points.add(PointStruct.newBuilder().setId(id(i + 1)).setVectors(vectors(1f, 0f))
                    .putPayload("at", value(dates.get(i))).build());
        }
        await(t.client.upsertAsync(name, points));
        Condition january2To = datetimeRange("at", DatetimeRange.newBuilder()
                .setGte(timestamp("2024-01-02T10:00:00Z")).setLt(timestamp("2024-06-01T00:00:00Z")).build());

        assertThat(ids(t, name, january2To)).containsExactly(2L, 5L, 6L);

        await(t.client.createPayloadIndexAsync(name, "at", PayloadSchemaType.Datetime, null, true, null, null));
        assertThat(ids(t, name, january2To)).containsExactly(2L, 5L, 6L);
        List<Long> ordered = await(t.client.queryAsync(QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(orderBy("at")).build())).stream().map(p -> p.getId().getNum()).toList();
        assertThat(ordered).containsExactly(1L, 2L, 5L, 6L, 3L);
    }

    @QdrantContractTest.Contract
    void geoConditionsMatchLikeQdrant(QdrantContractTest.Target t) {
        String name = t.name("geo");
        await(t.client.createCollectionAsync(name,
                VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));
        Value berlin = geo(13.405, 52.52);
        Value hamburg = geo(9.99, 53.55);
        List<Value> places = List.of(berlin, geo(13.0645, 52.3906), hamburg, geo(179.5, -17.0),
                ValueFactory.list(List.of(hamburg, berlin)));
        List<PointStruct> points = new ArrayList<>();
        for (int i = 0; i < places.size(); i++) {
            points.add(PointStruct.newBuilder().setId(id(i + 1)).setVectors(vectors(1f, 0f))
                    .putPayload("where", places.get(i)).build());
        }
        await(t.client.upsertAsync(name, points));

        // Potsdam is 27.2 km from Berlin by haversine
        assertThat(ids(t, name, geoRadius("where", 52.52, 13.405, 30_000f))).containsExactly(1L, 2L, 5L);
        assertThat(ids(t, name, geoRadius("where", 52.52, 13.405, 27_000f))).containsExactly(1L, 5L);
        assertThat(ids(t, name, geoBoundingBox("where", 54, 9, 52, 14))).containsExactly(1L, 2L, 3L, 5L);
        // a box whose left edge is east of its right one crosses the antimeridian
        assertThat(ids(t, name, geoBoundingBox("where", -16, 179, -18, -179))).containsExactly(4L);
        GeoLineString square = ring(12, 52, 14, 53);
        GeoLineString aroundBerlin = ring(13.3, 52.4, 13.5, 52.6);
        assertThat(ids(t, name, geoPolygon("where", square, List.of()))).containsExactly(1L, 2L, 5L);
        assertThat(ids(t, name, geoPolygon("where", square, List.of(aroundBerlin)))).containsExactly(2L);
    }

    private static Value geo(double lon, double lat) {
        return Value.newBuilder().setStructValue(Struct.newBuilder().putFields("lon", value(lon))
                .putFields("lat", value(lat))).build();
    }

    private static GeoLineString ring(double west, double south, double east, double north) {
        return GeoLineString.newBuilder()
                .addPoints(GeoPoint.newBuilder().setLon(west).setLat(south))
                .addPoints(GeoPoint.newBuilder().setLon(east).setLat(south))
                .addPoints(GeoPoint.newBuilder().setLon(east).setLat(north))
                .addPoints(GeoPoint.newBuilder().setLon(west).setLat(north))
                .addPoints(GeoPoint.newBuilder().setLon(west).setLat(south)).build();
    }

    private static Timestamp timestamp(String instant) {
        Instant i = Instant.parse(instant);
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }
}
