package dev.embedloop.feedback;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.embedloop.events.Click;
import dev.embedloop.events.FeedbackError;
import dev.embedloop.events.Impression;
import dev.embedloop.events.Json;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Function;

/**
 * Turns the raw key and value bytes of an impressions or clicks record into an event or an error
 * value. Pure: no I/O, no state. The reason of an error never quotes the input (only field names
 * and Jackson's description without the offending text).
 */
public final class FeedbackInputParser {

    private final ObjectReader impressions;
    private final ObjectReader clicks;

    public FeedbackInputParser() {
        this.impressions = reader(Impression.class);
        this.clicks = reader(Click.class);
    }

    private static ObjectReader reader(Class<?> type) {
        return Json.MAPPER.readerFor(type)
                .with(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .with(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS);
    }

    /** An event or the reason it was refused. */
    public sealed interface Parsed<T> {
        /** A valid event. */
        record Ok<T>(T event) implements Parsed<T> {
            public Ok {
                Objects.requireNonNull(event, "event");
            }
        }

        /** A refused record: its error code and a reason without input text. */
        record Invalid<T>(FeedbackError code, String reason) implements Parsed<T> {
            public Invalid {
                Objects.requireNonNull(code, "code");
                Objects.requireNonNull(reason, "reason");
            }
        }
    }

    /** Parses a record of the impressions topic: the key must equal the body's {@code query_id}. */
    public Parsed<Impression> impression(byte[] key, byte[] value) {
        return parse(key, value, impressions, Impression::queryId);
    }

    /** Parses a record of the clicks topic: the key must equal the body's {@code query_id}. */
    public Parsed<Click> click(byte[] key, byte[] value) {
        return parse(key, value, clicks, Click::queryId);
    }

    private static <T> Parsed<T> parse(byte[] key, byte[] value, ObjectReader reader, Function<T, String> queryId) {
        if (value == null) {
            return invalid(FeedbackError.MISSING_VALUE, "record has no value");
        }
        T event;
        try {
            event = reader.readValue(value);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return invalid(FeedbackError.INVALID_FIELD, cause.getMessage() == null ? "invalid field" : cause.getMessage());
        } catch (MismatchedInputException e) {
            String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            if (message.startsWith("Missing required creator property")) {
                return invalid(FeedbackError.MISSING_FIELD, "missing required field " + field(e));
            }
            if (message.startsWith("No content to map")) {
                return invalid(FeedbackError.BAD_JSON, "value is empty");
            }
            return invalid(FeedbackError.WRONG_TYPE, "wrong type at " + field(e));
        } catch (StreamReadException e) {
            String where = e.getLocation() == null ? "" : " at " + e.getLocation().offsetDescription();
            return invalid(FeedbackError.BAD_JSON, "value is not valid JSON" + where);
        } catch (JsonProcessingException e) {
            return invalid(FeedbackError.WRONG_TYPE, "cannot read the value: " + e.getClass().getSimpleName());
        } catch (java.io.IOException e) {
            return invalid(FeedbackError.BAD_JSON, "cannot read the value: " + e.getClass().getSimpleName());
        }
        if (event == null) {
            return invalid(FeedbackError.WRONG_TYPE, "value is JSON null");
        }
        String id = queryId.apply(event);
        if (key == null) {
            return invalid(FeedbackError.KEY_MISMATCH, "record has no key; the key must be the query_id");
        }
        if (!id.equals(new String(key, StandardCharsets.UTF_8))) {
            return invalid(FeedbackError.KEY_MISMATCH, "record key differs from query_id");
        }
        return new Parsed.Ok<>(event);
    }

    /** The JSON path of the field Jackson stopped at, e.g. {@code results[0].rank}; no values. */
    private static String field(MismatchedInputException e) {
        StringBuilder sb = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Missing required creator property")) {
            String m = e.getOriginalMessage();
            int open = m.indexOf('\'');
            int close = open < 0 ? -1 : m.indexOf('\'', open + 1);
            if (close > open) {
                String name = m.substring(open + 1, close);
                return sb.isEmpty() ? name : sb + "." + name;
            }
        }
        return sb.isEmpty() ? "the top level" : sb.toString();
    }

    private static <T> Parsed<T> invalid(FeedbackError code, String reason) {
        return new Parsed.Invalid<>(code, code.label() + ": " + reason);
    }
}
