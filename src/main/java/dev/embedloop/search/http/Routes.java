package dev.embedloop.search.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The route table: exact path + method → handler. {@code GET} routes answer {@code HEAD} too. An
 * unknown path is a 404, a known path with another method a 405 with {@code Allow}.
 */
public final class Routes {

    /** Handles one routed request; throws {@link HttpError} for a refusal. */
    @FunctionalInterface
    public interface Handler {
        Reply handle(ApiRequest request);
    }

    /** A matched route: its path (the metrics label) and handler. */
    public record Match(String route, Handler handler) {}

    private final Map<String, Map<String, Handler>> byPath = new LinkedHashMap<>();

    public Routes get(String path, Handler handler) {
        return add("GET", path, handler);
    }

    public Routes post(String path, Handler handler) {
        return add("POST", path, handler);
    }

    /** Registers {@code handler} for {@code method} on {@code path}; a path can have several methods. */
    public Routes add(String method, String path, Handler handler) {
        Objects.requireNonNull(handler, "handler");
        Handler previous = byPath.computeIfAbsent(path, p -> new TreeMap<>()).putIfAbsent(method, handler);
        if (previous != null) {
            throw new IllegalArgumentException(method + " " + path + " is registered twice");
        }
        return this;
    }

    /** Whether {@code path} has a route (for any method). */
    public boolean knows(String path) {
        return byPath.containsKey(path);
    }

    /** The paths, in registration order (for the 404 message). */
    public Iterable<String> paths() {
        return byPath.keySet();
    }

    /**
     * The route for {@code method} on {@code path}.
     *
     * @throws HttpError 404 for an unknown path, 405 (with {@code Allow}) for a method the path has not
     */
    public Match match(String method, String path) {
        Map<String, Handler> methods = byPath.get(path);
        if (methods == null) {
            throw new HttpError(404, "no such resource: " + abbreviate(path, 100) + " (try " + String.join(", ",
                    byPath.entrySet().stream().map(e -> e.getValue().keySet().iterator().next() + " " + e.getKey())
                            .toList()) + ")");
        }
        Handler handler = methods.get(method);
        if (handler == null && method.equals("HEAD")) {
            handler = methods.get("GET");
        }
        if (handler == null) {
            String allow = String.join(", ", methods.containsKey("GET")
                    ? java.util.stream.Stream.concat(methods.keySet().stream(), java.util.stream.Stream.of("HEAD")).sorted().toList()
                    : methods.keySet());
            throw new HttpError(405, "method " + abbreviate(method, 20) + " is not allowed on " + path + "; use "
                    + String.join(" or ", methods.keySet()), Map.of("Allow", allow));
        }
        return new Match(path, handler);
    }

    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }
}
