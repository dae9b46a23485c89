package dev.embedloop.search.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's answers to requests that never reach a route — a malformed request line or URI, headers
 * too large, a failure inside Jetty — as {@code {"error": …}} JSON instead of Jetty's HTML page.
 * Jetty 12.1 sends every such refusal through {@link #handle} (its older {@code badMessageError}
 * path is deprecated for removal); {@code SearchServiceHardeningTest} pins that.
 */
final class JsonErrorHandler extends ErrorHandler {

    private final RequestObserver observer;

    JsonErrorHandler(RequestObserver observer) {
        this.observer = observer;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : 500;
        String message = request.getAttribute(ERROR_MESSAGE) instanceof String m ? m : null;
        if (status == HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505) {
            // Jetty answers 505 to any version token it does not know, garbage ("GET / FOO") as well as
            // well-formed, and to a request line without one (HTTP/0.9, or a target cut by a stray line
            // break): an invalid request line, which RFC 9112 answers with 400. A client error either way,
            // never a 5xx that monitoring would count against the server
            status = HttpStatus.BAD_REQUEST_400;
        }
        byte[] body = Reply.error(status, describe(status, message)).body();
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Reply.JSON);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        long start = request.getHeadersNanoTime();
        observer.observe(request.getMethod(), RequestObserver.REFUSED, status, System.nanoTime() - start);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    private static String describe(int status, String message) {
        String standard = HttpStatus.getMessage(status);
        if (message == null || message.isBlank() || message.equals(standard)) {
            return "malformed request: " + standard;
        }
        // Jetty's reasons are short fixed texts ("Ambiguous URI path separator", "Request Header Fields Too Large")
        return "malformed request: " + Routes.abbreviate(message, 200);
    }
}
