package dev.embedloop.search.http;

import java.util.Map;

/**
 * A refusal with its status and message; the server answers it as {@code {"error": message}}.
 * Thrown by route handlers for 4xx answers and 503, never logged with a stack trace.
 */
public final class HttpError extends RuntimeException {

    private final int status;
    private final transient Map<String, String> headers;

    public HttpError(int status, String message) {
        this(status, message, Map.of());
    }

    public HttpError(int status, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = Map.copyOf(headers);
    }

    public int status() {
        return status;
    }

    /** Extra answer headers ({@code Allow} of a 405, {@code Retry-After} of a 503). */
    public Map<String, String> headers() {
        return headers;
    }
}
