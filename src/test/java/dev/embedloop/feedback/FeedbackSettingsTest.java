package dev.embedloop.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FeedbackSettingsTest {

    @Test
    void shouldHaveTheDocumentedDefaults() {
        FeedbackSettings s = FeedbackSettings.defaults();
        assertThat(s.impressionsTopic()).isEqualTo("search-impressions");
        assertThat(s.clicksTopic()).isEqualTo("clicks");
        assertThat(s.documentsTopic()).isEqualTo("documents");
        assertThat(s.trainingPairsTopic()).isEqualTo("training-pairs");
        assertThat(s.clicksDeadLetterTopic()).isEqualTo("clicks.dlq");
        assertThat(s.window()).isEqualTo(Duration.ofMinutes(10));
        assertThat(s.punctuationInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.minDwellMs()).isEqualTo(10_000);
        assertThat(s.includeBelowClick()).isFalse();
        assertThat(s.propensity()).isEqualTo(PropensityModel.powerLaw(0.7));
        assertThat(s.maxWeight()).isEqualTo(10.0);
        assertThat(s.maxNegatives()).isEqualTo(10);
        assertThat(s.dedupWindow()).isEqualTo(Duration.ofHours(1));
        assertThat(s.maxExamplesPerIdentity()).isEqualTo(100);
        assertThat(s.capWindow()).isEqualTo(Duration.ofHours(1));
        assertThat(s.recentPositiveTtl()).isEqualTo(Duration.ofHours(24));
        assertThat(s.lateClickRetention()).isEqualTo(Duration.ofHours(1));
        assertThat(s.maxTextChars()).isEqualTo(2000);
    }

    @Test
    void shouldRefuseInvalidSettings() {
        TestSettings base = new TestSettings();
        assertThatThrownBy(() -> base.copy().impressions(" ").build()).hasMessageContaining("impressionsTopic");
        assertThatThrownBy(() -> base.copy().deadLetter("clicks").build()).hasMessageContaining("must all differ");
        assertThatThrownBy(() -> base.copy().window(Duration.ZERO).build()).hasMessageContaining("window");
        assertThatThrownBy(() -> base.copy().punctuation(Duration.ofNanos(10)).build())
                .hasMessageContaining("punctuationInterval");
        assertThatThrownBy(() -> base.copy().dedupWindow(Duration.ofMillis(-1)).build()).hasMessageContaining("dedupWindow");
        assertThatThrownBy(() -> base.copy().minDwellMs(-1).build()).hasMessageContaining("minDwellMs");
        assertThatThrownBy(() -> base.copy().maxWeight(0.9).build()).hasMessageContaining("maxWeight");
        assertThatThrownBy(() -> base.copy().maxWeight(Double.POSITIVE_INFINITY).build()).hasMessageContaining("maxWeight");
        assertThatThrownBy(() -> base.copy().maxNegatives(-1).build()).hasMessageContaining("maxNegatives");
        assertThatThrownBy(() -> base.copy().cap(0).build()).hasMessageContaining("maxExamplesPerIdentity");
        assertThatThrownBy(() -> base.copy().maxTextChars(0).build()).hasMessageContaining("maxTextChars");
        assertThatThrownBy(() -> base.copy().propensity(null).build()).isInstanceOf(NullPointerException.class);
        assertThat(base.copy().build()).isNotNull();
    }
}
