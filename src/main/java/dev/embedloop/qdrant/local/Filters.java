package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Common.Condition;
import io.qdrant.client.grpc.Common.FieldCondition;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.Match;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Common.Range;
import io.qdrant.client.grpc.Common.ValuesCount;
import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.JsonWithInt.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compiles a Qdrant {@link Filter} into a predicate over stored points, evaluated by brute force.
 *
 * <p>Semantics are Qdrant's (as also implemented by the official Python client's local mode): {@code must} needs
 * every condition, {@code must_not} none, a non-empty {@code should} at least one, {@code min_should} at least
 * {@code min_count}; an empty filter matches everything. A field condition on an array matches when any element
 * matches. Exact matches are typed: an integer condition never matches a float or a string payload value.
 * Supported conditions: match keyword / integer / boolean / text / phrase / text_any / any (keywords, integers)
 * / except (keywords, integers), range, values_count, is_empty, is_null (both as conditions and as field
 * condition flags), has_id, has_vector, nested and nested filters. Text matches behave as on a field without a
 * full-text index: whole words, case-insensitive. A field condition carrying several checks (say a match and a
 * range) needs all of them. Geo and datetime conditions are refused with {@code UNIMPLEMENTED} rather than
 * silently mismatched. Compiling validates the whole filter up front, so a bad filter fails before any point is
 * touched.
 */
final class Filters {

    /** A compiled condition; {@code point} is {@code null} inside a nested filter, where ids do not apply. */
    @FunctionalInterface
    interface Cond {
        boolean test(Struct payload, PointEntry point);
    }

    /** The filter that matches every point. */
    static final Cond ALL = (payload, point) -> true;

    /** Qdrant's default word tokenizer for text matches on fields without a full-text index. */
    private static final Pattern WORD = Pattern.compile("[^\\W_]+", Pattern.UNICODE_CHARACTER_CLASS);

    private final Map<String, Integer> vectorIndexes;

    private Filters(Map<String, Integer> vectorIndexes) {
        this.vectorIndexes = vectorIndexes;
    }

    /**
     * Compiles {@code filter}; {@code null} or an empty filter yields {@link #ALL}.
     *
     * @param vectorIndexes the collection's vector names and their indexes, for {@code has_vector}
     */
    static Cond compile(Filter filter, Map<String, Integer> vectorIndexes) {
        if (filter == null || filter.equals(Filter.getDefaultInstance())) {
            return ALL;
        }
        return new Filters(vectorIndexes).filter(filter);
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
                return (payload, point) -> point != null && point.hasVector(i);
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
        if (fc.hasGeoBoundingBox() || fc.hasGeoRadius() || fc.hasGeoPolygon()) {
            throw QdrantErrors.unsupported("geo filter conditions");
        }
        if (fc.hasDatetimeRange()) {
            throw QdrantErrors.unsupported("datetime_range filter conditions");
        }
        List<Cond> parts = new ArrayList<>();
        if (fc.hasMatch()) {
            Predicate<Value> match = match(fc.getMatch());
            parts.add((payload, point) -> anyValue(path.values(payload, true), match));
        }
        if (fc.hasRange()) {
            Predicate<Value> range = range(fc.getRange());
            parts.add((payload, point) -> anyValue(path.values(payload, true), range));
        }
        if (fc.hasValuesCount()) {
            ValuesCount vc = fc.getValuesCount();
            parts.add((payload, point) -> valuesCount(vc, path.values(payload, false)));
        }
        if (fc.hasIsEmpty()) {
            boolean wanted = fc.getIsEmpty();
            parts.add((payload, point) -> isEmpty(path.values(payload, false)) == wanted);
        }
        if (fc.hasIsNull()) {
            boolean wanted = fc.getIsNull();
            parts.add((payload, point) -> isNull(path.values(payload, false)) == wanted);
        }
        if (parts.isEmpty()) {
            throw QdrantErrors.validation("filter", "At least one field condition must be specified");
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return (payload, point) -> {
            for (Cond part : parts) {
                if (!part.test(payload, point)) {
                    return false;
                }
            }
            return true;
        };
    }

    private static boolean anyValue(List<Value> values, Predicate<Value> test) {
        for (Value v : values) {
            if (test.test(v)) {
                return true;
            }
        }
        return false;
    }

    private static Predicate<Value> match(Match m) {
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
            case TEXT: {
                // without a full-text index, every query word must be a whole word of the value, in any order
                List<String> words = words(m.getText());
                return v -> v.hasStringValue() && !words.isEmpty()
                        && new HashSet<>(words(v.getStringValue())).containsAll(words);
            }
            case TEXT_ANY: {
                List<String> words = words(m.getTextAny());
                return v -> {
                    if (!v.hasStringValue()) {
                        return false;
                    }
                    Set<String> have = new HashSet<>(words(v.getStringValue()));
                    for (String w : words) {
                        if (have.contains(w)) {
                            return true;
                        }
                    }
                    return false;
                };
            }
            case PHRASE: {
                List<String> phrase = words(m.getPhrase());
                return v -> v.hasStringValue() && !phrase.isEmpty()
                        && Collections.indexOfSubList(words(v.getStringValue()), phrase) >= 0;
            }
            default:
                throw QdrantErrors.invalidArgument("Malformed Match condition");
        }
    }

    private static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        Matcher matcher = WORD.matcher(text);
        while (matcher.find()) {
            out.add(matcher.group().toLowerCase(Locale.ROOT));
        }
        return out;
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

    private static boolean valuesCount(ValuesCount vc, List<Value> values) {
        List<Long> counts = new ArrayList<>();
        boolean allNull = true;
        for (Value v : values) {
            allNull &= v.hasNullValue();
        }
        if (values.isEmpty() || allNull) {
            counts.add(0L);
        } else {
            for (Value v : values) {
                counts.add(v.hasNullValue() ? 0L : v.hasListValue() ? v.getListValue().getValuesCount() : 1L);
            }
        }
        for (long c : counts) {
            if ((!vc.hasLt() || c < vc.getLt()) && (!vc.hasLte() || c <= vc.getLte())
                    && (!vc.hasGt() || c > vc.getGt()) && (!vc.hasGte() || c >= vc.getGte())) {
                return true;
            }
        }
        return false;
    }
}
