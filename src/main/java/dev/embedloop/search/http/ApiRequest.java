package dev.embedloop.search.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A request as a route handler sees it: method, path, raw query string and the whole body (at most
 * the server's body limit, already read).
 */
public record ApiRequest(String method, String path, String rawQuery, byte[] body) {

    public ApiRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        body = body == null ? new byte[0] : body;
    }

    /**
     * Query parameters, percent-decoded as UTF-8; the first of repeated names wins.
     *
     * @throws HttpError 400 on bad percent-encoding
     */
    public Map<String, String> params() {
        return parseQuery(rawQuery);
    }

    static Map<String, String> parseQuery(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(name, value);
            } catch (IllegalArgumentException e) {
                throw new HttpError(400, "malformed query string: bad percent-encoding");
            }
        }
        return out;
    }
}
