package dev.embedloop.cli;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.embedloop.config.ConfigException;
import dev.embedloop.config.ConfigLoader;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ServiceSettingsTest {

    @Test
    void shouldAcceptTheDefaults() {
        assertThatCode(() -> ServiceSettings.check(ConfigLoader.defaults())).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @CsvSource({
            "index.batch-documents, 0",
            "index.store-text, maybe",
            "search.max-k, -1",
            "feedback.propensity-model, cubic",
            "feedback.window-ms, soon",
            "train.mode, both",
            "train.loss, hinge",
            "train.temperature, 0",
    })
    void shouldStopStartUpNamingTheKeyOfEveryServicesBadValue(String key, String value) {
        assertThatThrownBy(() -> ServiceSettings.check(ConfigLoader.load(null, Map.of(), Map.of(key, value))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(key.startsWith("feedback.propensity") ? "feedback.propensity-model" : key);
    }

    @Test
    void shouldStopStartUpWhenTheOnlineGateCouldNeverLook() {
        assertThatThrownBy(() -> ServiceSettings.check(ConfigLoader.load(null, Map.of(),
                Map.of("train.online-min-preferences", "300", "train.online-max-impressions", "200"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("train.online-min-preferences")
                .hasMessageContaining("train.online-max-impressions");
    }
}
