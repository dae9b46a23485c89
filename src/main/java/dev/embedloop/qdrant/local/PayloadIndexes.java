package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.PayloadIndexParams;
import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.CreateFieldIndexCollection;
import io.qdrant.client.grpc.Points.FieldType;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The payload index schema of a collection: which fields are indexed, with which type and parameters.
 *
 * <p>Search is a full scan either way, so an index changes no result by itself; what it changes is how some
 * conditions match (a full-text index tokenizes text, see {@link Filters}), and what collection info reports.
 * Not thread-safe: guarded by the collection's lock.
 */
final class PayloadIndexes {

    private final TreeMap<String, PayloadSchemaInfo> schema = new TreeMap<>();

    /** The indexed fields, by name. */
    Map<String, PayloadSchemaInfo> all() {
        return Collections.unmodifiableMap(schema);
    }

    void put(String field, PayloadSchemaInfo info) {
        schema.put(field, info);
    }

    void remove(String field) {
        schema.remove(field);
    }

    /** The schema entry an index creation request produces; without a type, inferred from {@code points}. */
    static PayloadSchemaInfo info(CreateFieldIndexCollection request, PointStore points) {
        PayloadSchemaInfo.Builder info = PayloadSchemaInfo.newBuilder().setDataType(type(request, points));
        if (request.hasFieldIndexParams()) {
            info.setParams(request.getFieldIndexParams());
        }
        return info.build();
    }

    /** The request that recreates an index, for the journal. */
    static CreateFieldIndexCollection request(String collection, String field, PayloadSchemaInfo info) {
        CreateFieldIndexCollection.Builder r = CreateFieldIndexCollection.newBuilder().setCollectionName(collection)
                .setFieldName(field).setFieldType(fieldType(info.getDataType()));
        if (info.hasParams()) {
            r.setFieldIndexParams(info.getParams());
        }
        return r.build();
    }

    private static PayloadSchemaType type(CreateFieldIndexCollection request, PointStore points) {
        PayloadSchemaType fromParams = request.hasFieldIndexParams() ? type(request.getFieldIndexParams()) : null;
        if (request.hasFieldType()) {
            PayloadSchemaType type = switch (request.getFieldType()) {
                case FieldTypeKeyword -> PayloadSchemaType.Keyword;
                case FieldTypeInteger -> PayloadSchemaType.Integer;
                case FieldTypeFloat -> PayloadSchemaType.Float;
                case FieldTypeGeo -> PayloadSchemaType.Geo;
                case FieldTypeText -> PayloadSchemaType.Text;
                case FieldTypeBool -> PayloadSchemaType.Bool;
                case FieldTypeDatetime -> PayloadSchemaType.Datetime;
                case FieldTypeUuid -> PayloadSchemaType.Uuid;
                default -> throw QdrantErrors.invalidArgument("Unknown field type");
            };
            if (fromParams != null && fromParams != type) {
                throw QdrantErrors.invalidArgument("field_type and field_index_params do not match");
            }
            return type;
        }
        if (fromParams != null) {
            return fromParams;
        }
        return infer(request.getFieldName(), points);
    }

    private static PayloadSchemaType type(PayloadIndexParams params) {
        return switch (params.getIndexParamsCase()) {
            case KEYWORD_INDEX_PARAMS -> PayloadSchemaType.Keyword;
            case INTEGER_INDEX_PARAMS -> PayloadSchemaType.Integer;
            case FLOAT_INDEX_PARAMS -> PayloadSchemaType.Float;
            case GEO_INDEX_PARAMS -> PayloadSchemaType.Geo;
            case TEXT_INDEX_PARAMS -> PayloadSchemaType.Text;
            case BOOL_INDEX_PARAMS -> PayloadSchemaType.Bool;
            case DATETIME_INDEX_PARAMS -> PayloadSchemaType.Datetime;
            case UUID_INDEX_PARAMS -> PayloadSchemaType.Uuid;
            default -> null;
        };
    }

    /** Without a type, Qdrant infers one from the data already stored under the field. */
    private static PayloadSchemaType infer(String field, PointStore points) {
        JsonPath path = JsonPath.parse(field);
        for (PointEntry e : points.all()) {
            for (Value v : path.values(e.payload, true)) {
                switch (v.getKindCase()) {
                    case STRING_VALUE:
                        return PayloadSchemaType.Keyword;
                    case INTEGER_VALUE:
                        return PayloadSchemaType.Integer;
                    case DOUBLE_VALUE:
                        return PayloadSchemaType.Float;
                    case BOOL_VALUE:
                        return PayloadSchemaType.Bool;
                    default:
                        break;
                }
            }
        }
        throw QdrantErrors.badRequest("Can't auto-detect field type, please specify `field_schema` in the request");
    }

    static FieldType fieldType(PayloadSchemaType type) {
        return switch (type) {
            case Integer -> FieldType.FieldTypeInteger;
            case Float -> FieldType.FieldTypeFloat;
            case Geo -> FieldType.FieldTypeGeo;
            case Text -> FieldType.FieldTypeText;
            case Bool -> FieldType.FieldTypeBool;
            case Datetime -> FieldType.FieldTypeDatetime;
            case Uuid -> FieldType.FieldTypeUuid;
            default -> FieldType.FieldTypeKeyword;
        };
    }

    /** How many points have a value for an indexed field, Qdrant's {@code PayloadSchemaInfo.points}. */
    static long indexedPoints(String field, PointStore points) {
        JsonPath path = JsonPath.parse(field);
        long n = 0;
        for (PointEntry e : points.all()) {
            for (Value v : path.values(e.payload, true)) {
                if (!v.hasNullValue()) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }
}
