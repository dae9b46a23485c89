package dev.embedloop.search;

import dev.embedloop.testing.TestData;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.events.Click;
import dev.embedloop.events.Impression;
import dev.embedloop.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The search page in a real headless Chromium, driven over the DevTools protocol: the page runs a
 * search, renders ranked results, and a real mouse click on a result (then back) reaches the
 * service as a click with the result's rank and a measured dwell time. Writes
 * {@code target/search-page.png}.
 *
 * <p>Skipped when no Chromium is installed ({@code apt-get install chromium}, or set
 * {@code CHROME_BIN}).
 */
class SearchPageBrowserIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path work;

    private final FakeSearchBackend backend = FakeSearchBackend.aeronautics();
    private final InMemoryFeedbackLog log = new InMemoryFeedbackLog();
    private SearchService service;
    private HeadlessChromium browser;

    @BeforeEach
    void start() throws Exception {
        Optional<Path> binary = HeadlessChromium.find();
        TestData.require(binary.isPresent(),
                "no Chromium binary (chromium, chromium-browser, google-chrome or $CHROME_BIN): "
                        + "install Debian's chromium package to run the browser test");
        service = SearchService.start(SearchService.Options.of(0, 20, Duration.ofMinutes(30), "clicks",
                Clock.systemUTC()).withThreads(4), backend, log);
        browser = HeadlessChromium.launch(binary.get(), work, 1000, 900);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void shouldRenderRankedResultsAndRecordARealClickWithItsRankAndDwell() throws Exception {
        browser.navigate("http://127.0.0.1:" + service.port() + "/?q=wing");
        Await.until(WAIT, () -> browser.evaluate("document.querySelectorAll('#results li.hit').length").asInt() == 5,
                () -> "five rendered results; status line: " + browser.evaluate("document.getElementById('status').textContent"));

        JsonNode shown = browser.evaluate("[...document.querySelectorAll('#results li.hit')].map(li => ({"
                + " rank: li.querySelector('.rank').textContent, doc: li.dataset.docId,"
                + " title: li.querySelector('.title').textContent, score: li.querySelector('.score').textContent,"
                + " snippet: (li.querySelector('.snippet') || {}).textContent }))");
        List<String> ranks = new ArrayList<>();
        List<String> docs = new ArrayList<>();
        shown.forEach(r -> {
            ranks.add(r.get("rank").asText());
            docs.add(r.get("doc").asText());
        });
        assertThat(ranks).containsExactly("1", "2", "3", "4", "5");
        assertThat(docs).containsExactly("wing-lift", "flutter", "boundary-layer", "stall", "sourdough");
        assertThat(shown.get(0).get("title").asText()).isEqualTo("How a wing produces lift");
        assertThat(shown.get(0).get("score").asText()).isEqualTo("score 0.900");
        assertThat(shown.get(1).get("snippet").asText()).startsWith("Flutter is a self-excited oscillation");
        assertThat(browser.evaluate("document.getElementById('q').value").asText()).isEqualTo("wing");
        assertThat(browser.evaluate("document.getElementById('status').textContent").asText())
                .isEqualTo("5 results · model " + FakeSearchBackend.MODEL_VERSION);
        assertThat(log.impressions).hasSize(1);
        Impression impression = log.impressions.get(0);
        assertThat(impression.query()).isEqualTo("wing");
        assertThat(impression.sessionId()).as("the page's session id").startsWith("s-");

        // open the second result with a real mouse click, then come back: the click is recorded on return
        browser.click("#results li.hit[data-rank='2'] .title");
        Await.until(WAIT, () -> !browser.evaluate("document.getElementById('reader').hidden").asBoolean(),
                () -> "the reader view");
        assertThat(browser.evaluate("document.getElementById('reader-title').textContent").asText())
                .isEqualTo("Wing flutter");
        assertThat(log.clicks).as("nothing recorded while the result is open").isEmpty();
        browser.click("#back");

        Await.until(WAIT, () -> log.clicks.size() == 1, () -> "the click at the service, have " + log.clicks);
        Click click = log.clicks.get(0);
        assertThat(click.queryId()).isEqualTo(impression.queryId());
        assertThat(click.docId()).isEqualTo("flutter");
        assertThat(click.rank()).isEqualTo(2);
        assertThat(click.dwellMs()).as("measured dwell").isNotNull().isNotNegative();
        Await.until(WAIT, () -> "recorded".equals(browser.evaluate(
                        "document.querySelector(\"#results li.hit[data-rank='2']\").dataset.clickStatus").asText()),
                () -> "the page to mark the click as recorded");
        assertThat(browser.evaluate("document.querySelector(\"#results li.hit[data-rank='2'] .mark\").textContent").asText())
                .startsWith("✓ clicked");
        assertThat(browser.evaluate("document.querySelector(\"#results li.hit[data-rank='2']\").classList.contains('clicked')")
                .asBoolean()).isTrue();
        assertThat(browser.evaluate("document.querySelectorAll('#results li.hit.clicked').length").asInt()).isEqualTo(1);

        Path png = Path.of("target", "search-page.png");
        Files.createDirectories(png.getParent());
        Files.write(png, browser.screenshot());

        // open the third result and leave the page: the click goes out with sendBeacon
        browser.click("#results li.hit[data-rank='3'] .title");
        Await.until(WAIT, () -> !browser.evaluate("document.getElementById('reader').hidden").asBoolean(),
                () -> "the reader view");
        browser.navigate("about:blank");
        Await.until(WAIT, () -> log.clicks.size() == 2, () -> "the beacon click at the service, have " + log.clicks);
        assertThat(log.clicks.get(1).docId()).isEqualTo("boundary-layer");
        assertThat(log.clicks.get(1).rank()).isEqualTo(3);
        assertThat(log.deadLetters).isEmpty();
    }
}
