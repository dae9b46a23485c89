package dev.embedloop.search.http;

/**
 * Sees the outcome of every request, the ones Jetty refuses before routing (malformed request
 * lines, oversized headers) included: the place for request metrics. Called on the thread that
 * finished the request; implementations are thread-safe and quick.
 */
@FunctionalInterface
public interface RequestObserver {

    /** Route name of a request no route matched (keeps metric labels bounded). */
    String UNMATCHED = "unmatched";
    /** Route name of a request refused before routing (bad request line, headers too large …). */
    String REFUSED = "refused";

    /**
     * @param method the request method (as sent; {@code "-"} when unknown)
     * @param route the matched route's path ({@code /search}), {@link #UNMATCHED} or {@link #REFUSED}
     * @param status the answer's status code
     * @param nanos time from the request's arrival (headers parsed) to the answer handed to the socket
     */
    void observe(String method, String route, int status, long nanos);

    RequestObserver NONE = (method, route, status, nanos) -> { };
}
