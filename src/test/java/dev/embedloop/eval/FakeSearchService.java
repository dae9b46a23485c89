package dev.embedloop.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.embedloop.events.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The search service's HTTP contract over fixed pages, recording what it was sent. */
final class FakeSearchService implements AutoCloseable {
    final HttpServer server;
    final List<Map<String, String>> searches = Collections.synchronizedList(new ArrayList<>());
    final List<JsonNode> clicks = Collections.synchronizedList(new ArrayList<>());
    final Map<String, String> queryOf = Collections.synchronizedMap(new HashMap<>());
    final Map<String, String> sessionOf = Collections.synchronizedMap(new HashMap<>());
    final AtomicInteger ids = new AtomicInteger();
    volatile int failSearchWith;
    volatile int failClicksWith;

    private final Map<String, List<String>> pages;

    /** @param pages query text → the document ids it answers, best first */
    FakeSearchService(Map<String, List<String>> pages) throws IOException {
        this.pages = pages;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/search", this::search);
        server.createContext("/clicks", this::click);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** session id and doc id of every click, in order. */
    List<String> clickLog() {
        List<String> log = new ArrayList<>();
        for (JsonNode c : clicks) {
            log.add(sessionOf.get(c.get("query_id").asText()) + "/" + c.get("doc_id").asText());
        }
        return log;
    }

    private void search(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("GET")) {
            respond(exchange, 405, "{}");
            return;
        }
        if (failSearchWith != 0) {
            respond(exchange, failSearchWith, "{\"error\":\"overloaded\"}");
            return;
        }
        Map<String, String> params = new HashMap<>();
        for (String pair : exchange.getRequestURI().getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        searches.add(params);
        String queryId = "qid-" + ids.incrementAndGet();
        queryOf.put(queryId, params.get("q"));
        sessionOf.put(queryId, params.get("session_id"));
        List<String> page = pages.getOrDefault(params.get("q"), List.of());
        int k = Integer.parseInt(params.get("k"));
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("query_id", queryId);
        body.put("model_version", "fake-v1");
        body.put("click_token", "token-of-" + queryId);
        ArrayNode hits = body.putArray("hits");
        for (int i = 0; i < Math.min(k, page.size()); i++) {
            hits.addObject().put("doc_id", page.get(i)).put("rank", i + 1).put("score", 1.0 - i * 0.01)
                    .put("title", "t").put("snippet", "s");
        }
        respond(exchange, 200, Json.writeString(body));
    }

    private void click(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            respond(exchange, 405, "{}");
            return;
        }
        JsonNode body = Json.MAPPER.readTree(exchange.getRequestBody().readAllBytes());
        if (failClicksWith != 0) {
            respond(exchange, failClicksWith, "{\"error\":\"unknown query_id\"}");
            return;
        }
        clicks.add(body);
        respond(exchange, 202, "");
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
