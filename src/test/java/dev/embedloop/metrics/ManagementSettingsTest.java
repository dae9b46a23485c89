package dev.embedloop.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.config.ConfigException;
import dev.embedloop.config.ConfigLoader;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManagementSettingsTest {

    @Test
    void autoPicksTheCommandsPortAndANumberOrOffOverridesIt() {
        var defaults = ConfigLoader.defaults();
        assertThat(ManagementSettings.from(defaults, ManagementSettings.INDEX_PORT).port()).isEqualTo(9401);
        assertThat(ManagementSettings.from(defaults, ManagementSettings.TRAIN_PORT).port()).isEqualTo(9404);
        assertThat(ManagementSettings.from(defaults.with(Map.of("management.port", "9999")), 9401).port()).isEqualTo(9999);
        ManagementSettings off = ManagementSettings.from(defaults.with(Map.of("management.port", "-1")), 9401);
        assertThat(off.enabled()).isFalse();
        assertThatThrownBy(() -> ManagementSettings.from(defaults.with(Map.of("management.port", "lots")), 9401))
                .isInstanceOf(ConfigException.class).hasMessageContaining("management.port");
    }

    @Test
    void logFormatIsTextOrJson() {
        var defaults = ConfigLoader.defaults();
        assertThat(ManagementSettings.logFormat(defaults)).isEqualTo("text");
        assertThat(ManagementSettings.logFormat(defaults.with(Map.of("log.format", "json")))).isEqualTo("json");
        assertThatThrownBy(() -> ManagementSettings.logFormat(defaults.with(Map.of("log.format", "xml"))))
                .hasMessageContaining("log.format");
    }
}
