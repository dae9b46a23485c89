package dev.embedloop.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.config.ConfigException;
import dev.embedloop.config.ConfigLoader;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainSettingsTest {

    private static TrainSettings.Online online(String count, String fraction) {
        return TrainSettings.from(ConfigLoader.defaults().with(Map.of(
                "train.online-untrained-queries", count, "train.online-untrained-fraction", fraction))).online();
    }

    @Test
    void shouldLeaveTheLargerOfTheCountAndTheFractionUntrainedButNeverMoreThanHalf() {
        TrainSettings.Online defaults = TrainSettings.from(ConfigLoader.defaults()).online();
        assertThat(defaults.untrainedQueries()).isEqualTo(50);
        assertThat(defaults.untrainedFraction()).isEqualTo(0.25);
        assertThat(defaults.untrained(150)).as("a quarter is 38: the count decides").isEqualTo(50);
        assertThat(defaults.untrained(200)).isEqualTo(50);
        assertThat(defaults.untrained(201)).as("a quarter of 201, rounded up").isEqualTo(51);
        assertThat(defaults.untrained(809)).isEqualTo(203);
        assertThat(defaults.untrained(60)).as("at most half").isEqualTo(30);
        assertThat(defaults.untrained(0)).isZero();

        assertThat(online("50", "0").untrained(809)).as("0: the count alone").isEqualTo(50);
        assertThat(online("0", "0.5").untrained(809)).isEqualTo(404);
        assertThat(online("0", "0").untrained(809)).isZero();
    }

    @Test
    void shouldNameTheKeyOfAnUntrainedFractionOutOfRange() {
        for (String bad : new String[] {"0.6", "-0.1", "NaN", "a quarter"}) {
            assertThatThrownBy(() -> online("50", bad))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("train.online-untrained-fraction")
                    .hasMessageContaining(bad);
        }
    }
}
