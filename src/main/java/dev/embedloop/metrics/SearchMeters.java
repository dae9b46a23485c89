package dev.embedloop.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Objects;

/**
 * Meters of the search service: every HTTP request with its latency by route and status (so
 * errors are the requests with a 4xx or 5xx status), and the clicks reported.
 *
 * <pre>
 * embedloop_search_requests_seconds_bucket{route,status,le}   latency histogram
 * embedloop_search_requests_seconds_count{route,status}        requests (errors: status=~"[45]..")
 * embedloop_search_clicks_total                                clicks accepted
 * </pre>
 */
public final class SearchMeters {

    /** Timer of HTTP requests. */
    public static final String REQUESTS = "embedloop.search.requests";
    /** Counter of accepted clicks. */
    public static final String CLICKS = "embedloop.search.clicks";
    /** Route label of {@code GET /search}. */
    public static final String SEARCH = "search";

    private final MeterRegistry registry;
    private final Counter clicks;

    public SearchMeters(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.clicks = Meters.counter(registry, CLICKS, null, "Clicks on search results accepted by the search service");
    }

    /** One answered {@code GET /search}: its HTTP status and how long it took. */
    public void request(int status, Duration latency) {
        request(SEARCH, status, latency);
    }

    /** One answered request on {@code route} (a fixed name, never the raw path or query). */
    public void request(String route, int status, Duration latency) {
        Meters.latency(registry, REQUESTS, "HTTP requests of the search service by route and status",
                "route", route, "status", Integer.toString(status)).record(latency);
    }

    /** One click accepted. */
    public void click() {
        clicks.increment();
    }

    /** Requests answered so far on {@code route} with {@code status}. */
    public long requests(String route, int status) {
        Timer t = registry.find(REQUESTS).tags("route", route, "status", Integer.toString(status)).timer();
        return t == null ? 0 : t.count();
    }

    /** Clicks accepted so far. */
    public long clicks() {
        return Meters.count(clicks);
    }
}
