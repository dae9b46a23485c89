package dev.embedloop.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.config.ConfigException;
import dev.embedloop.config.ConfigKeys;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link SearchSettings} from the configuration: defaults, timeouts, click keys (secret). */
class SearchSettingsTest {

    private static final String KEY = "a-shared-click-key-of-32-bytes-or-more";

    @Test
    void shouldReadDefaultsWithAProcessLocalClickKey() {
        SearchSettings s = SearchSettings.from(ConfigLoader.defaults());
        assertThat(s.threads()).isEqualTo(8);
        assertThat(s.queueCapacity()).isEqualTo(256);
        assertThat(s.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.readTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.clickKey()).isNull();
        assertThat(s.clickTokens().isProcessLocal()).isTrue();
        assertThat(s.interleaveFraction()).isEqualTo(0.5);
    }

    @Test
    void shouldReadTheInterleaveFractionAndRefuseOneOutsideZeroToOne() {
        EmbedloopConfig off = ConfigLoader.defaults().with(Map.of("search.interleave-fraction", "0"));
        assertThat(SearchSettings.from(off).interleaveFraction()).isZero();
        assertThat(SearchService.Options.of(off).interleaveFraction()).isZero();
        EmbedloopConfig bad = ConfigLoader.defaults().with(Map.of("search.interleave-fraction", "1.5"));
        assertThatThrownBy(() -> SearchSettings.from(bad)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("search.interleave-fraction");
    }

    @Test
    void shouldShareConfiguredKeysAndNeverPrintThem() {
        EmbedloopConfig cfg = ConfigLoader.defaults().with(Map.of("search.click-key", KEY,
                "search.click-key-previous", KEY.toUpperCase()));
        SearchSettings s = SearchSettings.from(cfg);
        ClickTokens tokens = s.clickTokens();
        assertThat(tokens.isProcessLocal()).isFalse();
        assertThat(tokens.acceptsPreviousKey()).isTrue();
        ClickTokens.Claims claims = new ClickTokens.Claims("q", List.of("d"), "m", Long.MAX_VALUE);
        assertThat(SearchSettings.from(cfg).clickTokens().verify(tokens.sign(claims), 0))
                .as("a second instance with the same configuration verifies the first one's tokens")
                .isInstanceOf(ClickTokens.Verification.Valid.class);

        assertThat(ConfigKeys.isSecret("search.click-key")).isTrue();
        assertThat(ConfigKeys.isSecret("search.click-key-previous")).isTrue();
        assertThat(s.toString()).doesNotContain(KEY).doesNotContain(KEY.toUpperCase());
        assertThat(cfg.toString()).doesNotContain(KEY);
    }

    @Test
    void shouldRefuseAShortKeyNamingTheKeyButNotTheValue() {
        EmbedloopConfig cfg = ConfigLoader.defaults().with(Map.of("search.click-key", "too-short-secret"));
        assertThatThrownBy(() -> SearchSettings.from(cfg)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("search.click-key").hasMessageContaining("32 bytes")
                .hasMessageNotContaining("too-short-secret");
    }

    @Test
    void shouldRefuseAPreviousKeyWithoutACurrentOne() {
        EmbedloopConfig cfg = ConfigLoader.defaults().with(Map.of("search.click-key-previous", KEY));
        assertThatThrownBy(() -> SearchSettings.from(cfg)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("search.click-key-previous");
    }
}
