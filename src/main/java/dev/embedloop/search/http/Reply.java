package dev.embedloop.search.http;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.embedloop.events.Json;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An answer: status, content type, body, extra headers, and the query id it concerns (logged, never
 * sent as a header).
 */
public record Reply(int status, String contentType, byte[] body, Map<String, String> headers, String queryId) {

    public static final String JSON = "application/json; charset=utf-8";

    public Reply {
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        headers = Map.copyOf(headers);
    }

    /** {@code value} as JSON. */
    public static Reply json(int status, Object value) {
        return new Reply(status, JSON, Json.write(value), Map.of(), null);
    }

    /** {@code {"error": message}}. */
    public static Reply error(int status, String message) {
        return json(status, new ErrorBody(message));
    }

    /** This reply, logged with {@code queryId}. */
    public Reply withQueryId(String queryId) {
        return new Reply(status, contentType, body, headers, queryId);
    }

    /** This reply with {@code extra} headers added. */
    public Reply withHeaders(Map<String, String> extra) {
        if (extra.isEmpty()) {
            return this;
        }
        Map<String, String> all = new HashMap<>(headers);
        all.putAll(extra);
        return new Reply(status, contentType, body, all, queryId);
    }

    /** The body of every error answer. */
    public record ErrorBody(@JsonProperty("error") String error) {}
}
