package dev.embedloop.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedloop.events.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A client of the search service's HTTP API, as simulated users call it:
 *
 * <ul>
 *   <li>{@code GET /search?q=…&k=…&session_id=…} → 200 with
 *       {@code {"query_id", "model_version", "hits": [{"doc_id", "rank", "score", …}], "click_token"}};
 *       the service publishes the impression.
 *   <li>{@code POST /clicks} with {@code {"click_token", "query_id", "doc_id", "dwell_ms"}} → 202; the
 *       service verifies the token and publishes the click.
 * </ul>
 *
 * Any other status is a {@link SearchServiceException} carrying the status and the start of the
 * body. Thread-safe; one client per base URL.
 */
public final class SearchClient {

    private static final int BODY_EXCERPT = 300;

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    /**
     * @param base the service's root, e.g. {@code http://localhost:8080}
     * @param timeout per request
     */
    public SearchClient(URI base, Duration timeout) {
        Objects.requireNonNull(base, "base");
        if (base.getScheme() == null || !(base.getScheme().equals("http") || base.getScheme().equals("https"))
                || base.getHost() == null) {
            throw new IllegalArgumentException("search URL must be http(s)://host[:port][/path], was " + base);
        }
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public URI base() {
        return base;
    }

    /** One result of a served page. */
    public record PageHit(
            @JsonProperty("doc_id") String docId,
            @JsonProperty("rank") int rank,
            @JsonProperty("score") Double score) {}

    /** A served result page: its query id, the ranked hits, and the signed token its clicks send back. */
    public record SearchPage(
            @JsonProperty("query_id") String queryId,
            @JsonProperty("model_version") String modelVersion,
            @JsonProperty("hits") List<PageHit> hits,
            @JsonProperty("click_token") String clickToken) {

        public SearchPage {
            hits = hits == null ? List.of() : List.copyOf(hits);
        }

        /** The document ids in rank order. */
        public List<String> docIds() {
            return hits.stream().sorted(java.util.Comparator.comparingInt(PageHit::rank)).map(PageHit::docId).toList();
        }
    }

    /** The service answered with an unexpected status or body, or could not be reached. */
    public static final class SearchServiceException extends RuntimeException {
        SearchServiceException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** {@code GET /search}: runs a search as a user in {@code sessionId} would. */
    public SearchPage search(String query, int k, String sessionId) {
        String uri = base + "/search?q=" + encode(query) + "&k=" + k
                + (sessionId == null ? "" : "&session_id=" + encode(sessionId));
        HttpRequest request = HttpRequest.newBuilder(URI.create(uri)).timeout(timeout)
                .header("Accept", "application/json").GET().build();
        HttpResponse<byte[]> response = send(request, "GET /search");
        if (response.statusCode() != 200) {
            throw unexpected("GET /search", response);
        }
        SearchPage page;
        try {
            page = Json.MAPPER.readValue(response.body(), SearchPage.class);
        } catch (IOException e) {
            throw new SearchServiceException("GET /search: the answer is not the expected JSON: " + e.getMessage(), e);
        }
        if (page.queryId() == null || page.queryId().isBlank()) {
            throw new SearchServiceException("GET /search: the answer has no query_id", null);
        }
        if (page.clickToken() == null || page.clickToken().isBlank()) {
            throw new SearchServiceException("GET /search: the answer has no click_token", null);
        }
        return page;
    }

    /** {@code POST /clicks}: reports a click on {@code docId} of the search that answered {@code page}. */
    public void click(SearchPage page, String docId, long dwellMs) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("click_token", page.clickToken());
        body.put("query_id", page.queryId());
        body.put("doc_id", docId);
        body.put("dwell_ms", dwellMs);
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/clicks")).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.write(body))).build();
        HttpResponse<byte[]> response = send(request, "POST /clicks");
        if (response.statusCode() != 202) {
            throw unexpected("POST /clicks", response);
        }
    }

    private HttpResponse<byte[]> send(HttpRequest request, String what) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new SearchServiceException(what + " to " + base + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SearchServiceException(what + " interrupted", e);
        }
    }

    private static SearchServiceException unexpected(String what, HttpResponse<byte[]> response) {
        String body = new String(response.body(), StandardCharsets.UTF_8).strip();
        if (body.length() > BODY_EXCERPT) {
            body = body.substring(0, BODY_EXCERPT) + "…";
        }
        return new SearchServiceException(what + " answered " + response.statusCode() + (body.isEmpty() ? "" : ": " + body),
                null);
    }

    private static String encode(String s) {
        // %20 rather than '+': every decoder reads %20 as a space
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
