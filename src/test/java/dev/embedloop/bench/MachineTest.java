package dev.embedloop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MachineTest {

    @Test
    void shouldCountSixtyFourFp32FlopPerCycleWithAvx512AndThirtyTwoWithAvx2() {
        assertThat(Machine.flopPerCycle(true, true, true)).isEqualTo(64);
        assertThat(Machine.flopPerCycle(false, true, true)).isEqualTo(32);
        assertThat(Machine.flopPerCycle(false, true, false)).isEqualTo(16);
        assertThat(Machine.flopPerCycle(false, false, false)).isEqualTo(16);
    }
}
