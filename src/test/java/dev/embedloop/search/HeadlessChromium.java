package dev.embedloop.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedloop.events.Json;
import dev.embedloop.testing.Await;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A headless Chromium driven over the Chrome DevTools Protocol (a WebSocket from
 * {@link java.net.http}), for browser tests without Selenium: one page, navigate, evaluate
 * JavaScript, click with real mouse events, take screenshots.
 *
 * <p>The binary is {@code $CHROME_BIN} or the first of {@code chromium}, {@code chromium-browser},
 * {@code google-chrome} on the {@code PATH}; {@link #find()} is empty when there is none.
 */
final class HeadlessChromium implements AutoCloseable {

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final Path logFile;
    private WebSocket socket;
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Object sendLock = new Object();
    private String sessionId;

    private HeadlessChromium(Process process, Path logFile) {
        this.process = process;
        this.logFile = logFile;
    }

    /** The Chromium binary to use, if any. */
    static Optional<Path> find() {
        String env = System.getenv("CHROME_BIN");
        if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env))) {
            return Optional.of(Path.of(env));
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String name : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir, name);
                if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** Starts Chromium with a fresh profile in {@code workDir} and opens one blank page. */
    static HeadlessChromium launch(Path binary, Path workDir, int width, int height) throws IOException {
        Path profile = Files.createDirectories(workDir.resolve("profile"));
        Path log = workDir.resolve("chromium.log");
        Process process = new ProcessBuilder(binary.toString(),
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--mute-audio",
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                "--user-data-dir=" + profile, "--window-size=" + width + "," + height, "about:blank")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            // Chromium writes the port it chose and the browser's WebSocket path to this file
            Path portFile = profile.resolve("DevToolsActivePort");
            Await.until(Duration.ofSeconds(30), () -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("chromium exited with " + process.exitValue() + ": " + tail(log));
                }
                return readLines(portFile).size() >= 2;
            }, () -> "chromium's DevToolsActivePort; log: " + tail(log));
            List<String> lines = readLines(portFile);
            URI endpoint = URI.create("ws://127.0.0.1:" + lines.get(0).trim() + lines.get(1).trim());
            HeadlessChromium connected = new HeadlessChromium(process, log);
            connected.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(endpoint, connected.new Listener())
                    .get(30, TimeUnit.SECONDS);
            String target = connected.call("Target.createTarget", Map.of("url", "about:blank"), false)
                    .get("targetId").asText();
            connected.sessionId = connected.call("Target.attachToTarget", Map.of("targetId", target, "flatten", true), false)
                    .get("sessionId").asText();
            return connected;
        } catch (Exception e) {
            kill(process);
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException("could not start chromium: " + e.getMessage(), e);
        }
    }

    /** Loads {@code url} in the page (returns when the navigation is committed, not when scripts finished). */
    void navigate(String url) {
        JsonNode result = call("Page.navigate", Map.of("url", url), true);
        if (result.hasNonNull("errorText")) {
            throw new IllegalStateException("navigation to " + url + " failed: " + result.get("errorText").asText());
        }
    }

    /** Evaluates {@code expression} in the page (promises awaited) and returns its value as JSON. */
    JsonNode evaluate(String expression) {
        JsonNode result = call("Runtime.evaluate",
                Map.of("expression", expression, "returnByValue", true, "awaitPromise", true), true);
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException("script failed: " + result.get("exceptionDetails"));
        }
        JsonNode value = result.path("result").get("value");
        return value == null ? Json.MAPPER.nullNode() : value;
    }

    /** Clicks the centre of the first element matching {@code selector} with real mouse events. */
    void click(String selector) {
        JsonNode box = evaluate("(() => { const e = document.querySelector(" + Json.writeString(selector) + ");"
                + " if (!e) return null; e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                + " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()");
        if (box.isNull()) {
            throw new IllegalStateException("nothing matches " + selector);
        }
        double x = box.get("x").asDouble();
        double y = box.get("y").asDouble();
        call("Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", x, "y", y), true);
        call("Input.dispatchMouseEvent", Map.of("type", "mousePressed", "x", x, "y", y, "button", "left", "clickCount", 1), true);
        call("Input.dispatchMouseEvent", Map.of("type", "mouseReleased", "x", x, "y", y, "button", "left", "clickCount", 1), true);
    }

    /** A PNG of the viewport. */
    byte[] screenshot() {
        return Base64.getDecoder().decode(call("Page.captureScreenshot", Map.of("format", "png"), true).get("data").asText());
    }

    private JsonNode call(String method, Map<String, Object> params, boolean inPage) {
        int id = ids.incrementAndGet();
        ObjectNode message = Json.MAPPER.createObjectNode();
        message.put("id", id);
        message.put("method", method);
        message.set("params", Json.MAPPER.valueToTree(params));
        if (inPage) {
            message.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            synchronized (sendLock) { // one message at a time on the socket
                socket.sendText(message.toString(), true).get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            JsonNode response = answer.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (response.has("error")) {
                throw new IllegalStateException(method + " failed: " + response.get("error"));
            }
            return response.path("result");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(method + " interrupted", e);
        } catch (Exception e) {
            if (e instanceof IllegalStateException ise) {
                throw ise;
            }
            throw new IllegalStateException(method + " got no answer: " + e + "; chromium log: " + tail(logFile), e);
        } finally {
            pending.remove(id);
        }
    }

    private void onMessage(String text) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(text);
        } catch (IOException e) {
            return;
        }
        if (node.has("id")) {
            CompletableFuture<JsonNode> f = pending.get(node.get("id").asInt());
            if (f != null) {
                f.complete(node);
            }
        }
        // events (no id) are not needed: the tests poll the page's state instead
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                onMessage(text);
            }
            webSocket.request(1);
            return null;
        }
    }

    @Override
    public void close() {
        try {
            call("Browser.close", Map.of(), false);
        } catch (RuntimeException e) {
            // it may close the socket before answering
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                kill(process);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(process);
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            return List.of(); // being written
        }
    }

    private static String tail(Path log) {
        try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
            List<String> all = lines.toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - 20), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log)";
        }
    }
}
