package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.TextIndexParams;
import io.qdrant.client.grpc.Common.Condition;
import io.qdrant.client.grpc.Common.DatetimeRange;
import io.qdrant.client.grpc.Common.FieldCondition;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.Match;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Common.Range;
import io.qdrant.client.grpc.Common.ValuesCount;
import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.JsonWithInt.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Compiles a Qdrant {@link Filter} into a predicate over stored points, evaluated by brute force.
 *
 * <p>Semantics are Qdrant's (as also implemented by the official Python client's local mode): {@code must} needs
 * every condition, {@code must_not} none, a non-empty {@code should} at least one, {@code min_should} at least
 * {@code min_count}; an empty filter matches everything. A field condition on an array matches when any element
 * matches. Exact matches are typed: an integer condition never matches a float or a string payload value.
 * Supported conditions: match keyword / integer / boolean / text / phrase / text_any / any (keywords, integers)
 * / except (keywords, integers), range, datetime_range, values_count, is_empty, is_null (both as conditions
 * and as field condition flags), has_id, has_vector, nested and nested filters. Text matches are Qdrant's (see
 * {@link TextMatch}): case-sensitive substrings on a field without a full-text index, tokens with one. A field
 * condition carrying several checks is decided as Qdrant decides it: values_count, is_empty or is_null alone
 * when present, otherwise any one of match, range, datetime_range and the geo conditions ({@link GeoConditions}).
 * Compiling validates the whole filter up front, so a bad
 * filter fails before any point is touched.
 */
final class Filters {

    /** A compiled condition; {@code point} is {@code null} inside a nested filter, where ids do not apply. */
    @FunctionalInterface
    interface Cond {
        boolean test(Struct payload, PointEntry point);
    }

    /** The filter that matches every point. */
    static final Cond ALL = (payload, point) -> true;

    private final Map<String, Integer> vectorIndexes;
    private final Map<String, PayloadSchemaInfo> payloadIndexes;

    private Filters(Map<String, Integer> vectorIndexes, Map<String, PayloadSchemaInfo> payloadIndexes) {
        this.vectorIndexes = vectorIndexes;
        this.payloadIndexes = payloadIndexes;
    }

    /**
     * Compiles {@code filter}; {@code null} or an empty filter yields {@link #ALL}.
     *
     * @param vectorIndexes the collection's vector names and their indexes, for {@code has_vector}
     */
    static Cond compile(Filter filter, Map<String, Integer> vectorIndexes) {
        return compile(filter, vectorIndexes, Map.of());
    }

    /**
     * Compiles {@code filter}; text conditions on a field with a full-text index in {@code payloadIndexes} match
     * tokens as that index does.
     */
    static Cond compile(Filter filter, Map<String, Integer> vectorIndexes, Map<String, PayloadSchemaInfo> payloadIndexes) {
        if (filter == null || filter.equals(Filter.getDefaultInstance())) {
            return ALL;
        }
        return new Filters(vectorIndexes, payloadIndexes).filter(filter);
    }

    private Cond filter(Filter filter) {
        List<Cond> must = all(filter.getMustList());
        List<Cond> mustNot = all(filter.getMustNotList());
        List<Cond> should = all(filter.getShouldList());
        List<Cond> minShould = filter.hasMinShould() ? all(filter.getMinShould().getConditionsList()) : List.of();
        long minCount = filter.hasMinShould() ? filter.getMinShould().getMinCount() : 0;
        if (filter.hasMinShould() && minCount == 0) {
            throw QdrantErrors.validation("min_should.min_count", "value 0 invalid, must be 1 or larger");
        }
        boolean hasMinShould = filter.hasMinShould();
        return (payload, point) -> {
            for (Cond c : must) {
                if (!c.test(payload, point)) {
                    return false;
                }
            }
            for (Cond c : mustNot) {
                if (c.test(payload, point)) {
                    return false;
                }
            }
            if (!should.isEmpty()) {
                boolean any = false;
                for (Cond c : should) {
                    if (c.test(payload, point)) {
                        any = true;
                        break;
                    }
                }
                if (!any) {
                    return false;
                }
            }
            if (hasMinShould) {
                long matched = 0;
                for (Cond c : minShould) {
                    if (c.test(payload, point) && Long.compareUnsigned(++matched, minCount) >= 0) {
                        break;
                    }
                }
                return Long.compareUnsigned(matched, minCount) >= 0;
            }
            return true;
        };
    }

    private List<Cond> all(List<Condition> conditions) {
        List<Cond> out = new ArrayList<>(conditions.size());
        for (Condition c : conditions) {
            out.add(condition(c));
        }
        return out;
    }

    private Cond condition(Condition c) {
        switch (c.getConditionOneOfCase()) {
            case FIELD:
                return field(c.getField());
            case IS_EMPTY: {
                JsonPath path = JsonPath.parse(c.getIsEmpty().getKey());
                return (payload, point) -> isEmpty(path.values(payload, false));
            }
            case IS_NULL: {
                JsonPath path = JsonPath.parse(c.getIsNull().getKey());
                return (payload, point) -> isNull(path.values(payload, false));
            }
            case HAS_ID: {
                Set<PointKey> ids = new HashSet<>();
                for (PointId id : c.getHasId().getHasIdList()) {
                    ids.add(PointKey.of(id));
                }
                return (payload, point) -> point != null && ids.contains(point.id);
            }
            case HAS_VECTOR: {
                Integer index = vectorIndexes.get(c.getHasVector().getHasVector());
                if (index == null) {
                    return (payload, point) -> false;
                }
                int i = index;
                return (payload, point) -> point != null && point.hasAnyVector(i);
            }
            case FILTER:
                return filter(c.getFilter());
            case NESTED: {
                JsonPath path = JsonPath.parse(c.getNested().getKey()).withoutTrailingEach();
                Cond inner = filter(c.getNested().getFilter());
                // the filter is applied to each object of the array on its own, so that all its conditions
                // must hold for the same element
                return (payload, point) -> {
                    for (Value v : path.values(payload, false)) {
                        if (v.hasListValue()) {
                            for (Value element : v.getListValue().getValuesList()) {
                                if (element.hasStructValue() && inner.test(element.getStructValue(), null)) {
                                    return true;
                                }
                            }
                        }
                    }
                    return false;
                };
            }
            default:
                throw QdrantErrors.invalidArgument("Malformed Condition type");
        }
    }

    private Cond field(FieldCondition fc) {
        JsonPath path = JsonPath.parse(fc.getKey());
        // Qdrant's FieldCondition checker (condition_checker.rs): values_count, else is_empty, else is_null
        // decide alone; otherwise a value matches when any of match / range / datetime_range / geo does (on an
        // array, any element); a missing key only satisfies values_count, is_empty=true or is_null=false
        List<Predicate<Value>> checks = new ArrayList<>();
        if (fc.hasMatch()) {
            checks.add(match(fc.getMatch(), textIndex(fc.getKey())));
        }
        if (fc.hasRange()) {
            checks.add(range(fc.getRange()));
        }
        if (fc.hasDatetimeRange()) {
            checks.add(datetimeRange(fc.getDatetimeRange()));
        }
        if (fc.hasGeoRadius()) {
            checks.add(GeoConditions.radius(fc.getGeoRadius()));
        }
        if (fc.hasGeoBoundingBox()) {
            checks.add(GeoConditions.boundingBox(fc.getGeoBoundingBox()));
        }
        if (fc.hasGeoPolygon()) {
            checks.add(GeoConditions.polygon(fc.getGeoPolygon()));
        }
        if (checks.isEmpty() && !fc.hasValuesCount() && !fc.hasIsEmpty() && !fc.hasIsNull()) {
            throw QdrantErrors.validation("filter", "At least one field condition must be specified");
        }
        Predicate<Value> check;
        boolean whenMissing;
        if (fc.hasValuesCount()) {
            ValuesCount vc = fc.getValuesCount();
            check = v -> countFits(vc, v.hasNullValue() ? 0 : v.hasListValue() ? v.getListValue().getValuesCount() : 1);
            whenMissing = countFits(vc, 0);
        } else if (fc.hasIsEmpty()) {
            boolean wanted = fc.getIsEmpty();
            check = v -> (v.hasNullValue() || (v.hasListValue() && v.getListValue().getValuesCount() == 0)) == wanted;
            whenMissing = wanted;
        } else if (fc.hasIsNull()) {
            boolean wanted = fc.getIsNull();
            check = v -> (v.hasNullValue() || (v.hasListValue() && v.getListValue().getValuesList().stream()
                    .anyMatch(Value::hasNullValue))) == wanted;
            whenMissing = !wanted;
        } else {
            Predicate<Value> any = checks.size() == 1 ? checks.get(0) : v -> {
                for (Predicate<Value> c : checks) {
                    if (c.test(v)) {
                        return true;
                    }
                }
                return false;
            };
            check = v -> v.hasListValue() ? anyValue(v.getListValue().getValuesList(), any) : any.test(v);
            whenMissing = false;
        }
        return (payload, point) -> {
            List<Value> values = path.values(payload, false);
            return values.isEmpty() ? whenMissing : anyValue(values, check);
        };
    }

    private static boolean countFits(ValuesCount vc, long c) {
        return (!vc.hasLt() || c < vc.getLt()) && (!vc.hasLte() || c <= vc.getLte())
                && (!vc.hasGt() || c > vc.getGt()) && (!vc.hasGte() || c >= vc.getGte());
    }

    /** The tokenizer of the full-text index on {@code key}, or {@code null} when it has none. */
    private TextTokenizer textIndex(String key) {
        PayloadSchemaInfo info = payloadIndexes.get(key);
        if (info == null || info.getDataType() != PayloadSchemaType.Text) {
            return null;
        }
        return new TextTokenizer(info.hasParams() && info.getParams().hasTextIndexParams()
                ? info.getParams().getTextIndexParams() : TextIndexParams.getDefaultInstance());
    }

    private static boolean anyValue(List<Value> values, Predicate<Value> test) {
        for (Value v : values) {
            if (test.test(v)) {
                return true;
            }
        }
        return false;
    }

    private static Predicate<Value> match(Match m, TextTokenizer textIndex) {
        switch (m.getMatchValueCase()) {
            case KEYWORD: {
                String s = m.getKeyword();
                return v -> v.hasStringValue() && v.getStringValue().equals(s);
            }
            case INTEGER: {
                long n = m.getInteger();
                return v -> v.hasIntegerValue() && v.getIntegerValue() == n;
            }
            case BOOLEAN: {
                boolean b = m.getBoolean();
                return v -> v.hasBoolValue() && v.getBoolValue() == b;
            }
            case KEYWORDS: {
                Set<String> set = new HashSet<>(m.getKeywords().getStringsList());
                return v -> v.hasStringValue() && set.contains(v.getStringValue());
            }
            case INTEGERS: {
                Set<Long> set = new HashSet<>(m.getIntegers().getIntegersList());
                return v -> v.hasIntegerValue() && set.contains(v.getIntegerValue());
            }
            case EXCEPT_KEYWORDS: {
                // a null is absence, not a value different from all of the list
                Set<String> set = new HashSet<>(m.getExceptKeywords().getStringsList());
                return v -> !v.hasNullValue() && !(v.hasStringValue() && set.contains(v.getStringValue()));
            }
            case EXCEPT_INTEGERS: {
                Set<Long> set = new HashSet<>(m.getExceptIntegers().getIntegersList());
                return v -> !v.hasNullValue() && !(v.hasIntegerValue() && set.contains(v.getIntegerValue()));
            }
            case TEXT:
                return textIndex != null ? TextMatch.allTokens(textIndex, m.getText())
                        : TextMatch.substring(m.getText());
            case TEXT_ANY:
                return textIndex != null ? TextMatch.anyToken(textIndex, m.getTextAny())
                        : TextMatch.anyWord(m.getTextAny());
            case PHRASE:
                return textIndex != null ? TextMatch.phrase(textIndex, m.getPhrase())
                        : TextMatch.substring(m.getPhrase());
            default:
                throw QdrantErrors.invalidArgument("Malformed Match condition");
        }
    }

    /** {@code datetime_range}: string values that parse as datetimes (see {@link Datetimes}) within the bounds. */
    private static Predicate<Value> datetimeRange(DatetimeRange r) {
        Long lt = r.hasLt() ? Datetimes.micros(r.getLt()) : null;
        Long lte = r.hasLte() ? Datetimes.micros(r.getLte()) : null;
        Long gt = r.hasGt() ? Datetimes.micros(r.getGt()) : null;
        Long gte = r.hasGte() ? Datetimes.micros(r.getGte()) : null;
        return v -> {
            Long x = v.hasStringValue() ? Datetimes.parseMicros(v.getStringValue()) : null;
            return x != null && (lt == null || x < lt) && (lte == null || x <= lte) && (gt == null || x > gt)
                    && (gte == null || x >= gte);
        };
    }

    private static Predicate<Value> range(Range r) {
        return v -> {
            double x;
            if (v.hasIntegerValue()) {
                x = v.getIntegerValue();
            } else if (v.hasDoubleValue()) {
                x = v.getDoubleValue();
            } else {
                return false; // booleans and strings are not numbers to Qdrant
            }
            return (!r.hasLt() || x < r.getLt()) && (!r.hasLte() || x <= r.getLte())
                    && (!r.hasGt() || x > r.getGt()) && (!r.hasGte() || x >= r.getGte());
        };
    }

    /** A value is empty when it is null or an empty array; a key is empty when it has no non-empty value. */
    private static boolean isEmpty(List<Value> values) {
        for (Value v : values) {
            boolean empty = v.hasNullValue() || (v.hasListValue() && v.getListValue().getValuesCount() == 0);
            if (!empty) {
                return false;
            }
        }
        return true;
    }

    /** Null itself, or an array holding a null one level down. */
    private static boolean isNull(List<Value> values) {
        for (Value v : values) {
            if (v.hasNullValue()) {
                return true;
            }
            if (v.hasListValue()) {
                for (Value e : v.getListValue().getValuesList()) {
                    if (e.hasNullValue()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

}
