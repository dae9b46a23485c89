package dev.embedloop.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EncoderOptionsTest {

    @Test
    void withersChangeOneThing() {
        EncoderOptions d = EncoderOptions.defaults();
        assertThat(d.withBatching(16, false)).isEqualTo(new EncoderOptions(2, 16, 0, false, 1, 1, "ALL_OPT"));
        assertThat(d.withParallelism(1).withThreads(2, 1)).isEqualTo(new EncoderOptions(1, 1, 0, true, 2, 1, "ALL_OPT"));
        assertThat(d.withTokenBudget(4096).withOptLevel("BASIC_OPT"))
                .isEqualTo(new EncoderOptions(2, 1, 4096, true, 1, 1, "BASIC_OPT"));
    }

    @Test
    void invalidValuesAreRejected() {
        EncoderOptions d = EncoderOptions.defaults();
        assertThatThrownBy(() -> d.withParallelism(0)).hasMessageContaining("parallelism");
        assertThatThrownBy(() -> d.withBatching(0, true)).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> d.withTokenBudget(-1)).hasMessageContaining("tokenBudget");
        assertThatThrownBy(() -> d.withThreads(0, 1)).hasMessageContaining("intraOpThreads");
        assertThatThrownBy(() -> d.withThreads(1, 0)).hasMessageContaining("interOpThreads");
        assertThatThrownBy(() -> d.withOptLevel("FAST")).hasMessageContaining("optLevel");
        assertThatThrownBy(() -> d.withOptLevel(null)).isInstanceOf(NullPointerException.class);
    }
}
