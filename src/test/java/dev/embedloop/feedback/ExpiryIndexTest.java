package dev.embedloop.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

class ExpiryIndexTest {

    private static KeyValueStore<String, String> store() {
        KeyValueStore<String, String> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("index"),
                Serdes.String(), Serdes.String()).withLoggingDisabled().build();
        MockProcessorContext<Void, Void> context = new MockProcessorContext<>();
        store.init(context.getStateStoreContext(), store);
        return store;
    }

    @Test
    void shouldReturnDueEntriesEarliestFirstAndRemoveThem() {
        ExpiryIndex index = new ExpiryIndex(store());
        index.schedule(1_000, 'P', "q|with|bars");
        index.schedule(999, 'C', "a");
        index.schedule(10_000, 'P', "later");
        index.schedule(1_000, 'C', "b");

        assertThat(index.poll(999, 100)).containsExactly(new ExpiryIndex.Due(999, 'C', "a"));
        assertThat(index.poll(1_000, 100)).containsExactly(
                new ExpiryIndex.Due(1_000, 'C', "b"), new ExpiryIndex.Due(1_000, 'P', "q|with|bars"));
        assertThat(index.poll(9_999, 100)).isEmpty();
        assertThat(index.poll(Long.MAX_VALUE / 2, 100)).containsExactly(new ExpiryIndex.Due(10_000, 'P', "later"));
    }

    @Test
    void shouldOrderByTimeAcrossDigitCountsAndHonourTheLimit() {
        ExpiryIndex index = new ExpiryIndex(store());
        index.schedule(100, 'D', "x");
        index.schedule(9, 'D', "y");
        index.schedule(1_700_000_000_000L, 'D', "z");
        assertThat(index.poll(2_000_000_000_000L, 2)).extracting(ExpiryIndex.Due::key).containsExactly("y", "x");
        assertThat(index.poll(2_000_000_000_000L, 2)).extracting(ExpiryIndex.Due::key).containsExactly("z");
    }
}
