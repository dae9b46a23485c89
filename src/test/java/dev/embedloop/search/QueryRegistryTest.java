package dev.embedloop.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.search.QueryRegistry.Lookup;
import dev.embedloop.search.QueryRegistry.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class QueryRegistryTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final QueryRegistry registry = new QueryRegistry(clock, Duration.ofMinutes(30), 3);

    @Test
    void shouldGiveTheRankOfAShownDocument() {
        registry.register("q1", List.of("a", "b", "c"));
        assertThat(registry.lookup("q1", "a")).isEqualTo(new Lookup(Status.SHOWN, 1));
        assertThat(registry.lookup("q1", "c")).isEqualTo(new Lookup(Status.SHOWN, 3));
    }

    @Test
    void shouldKeepTheBestRankOfARepeatedDocument() {
        registry.register("q1", List.of("a", "b", "a"));
        assertThat(registry.lookup("q1", "a").rank()).isEqualTo(1);
    }

    @Test
    void shouldTellNotShownFromUnknown() {
        registry.register("q1", List.of("a"));
        assertThat(registry.lookup("q1", "zzz").status()).isEqualTo(Status.NOT_SHOWN);
        assertThat(registry.lookup("never", "a").status()).isEqualTo(Status.UNKNOWN);
    }

    @Test
    void shouldExpireAQueryIdAtItsTtlAndForgetItOneTtlLater() {
        registry.register("q1", List.of("a"));
        clock.advance(Duration.ofMinutes(30).minusMillis(1));
        assertThat(registry.lookup("q1", "a").status()).isEqualTo(Status.SHOWN);
        clock.advance(Duration.ofMillis(1));
        assertThat(registry.lookup("q1", "a").status()).isEqualTo(Status.EXPIRED);
        assertThat(registry.size()).isZero();
        clock.advance(Duration.ofMinutes(30));
        assertThat(registry.lookup("q1", "a").status()).isEqualTo(Status.UNKNOWN);
    }

    @Test
    void shouldDropTheOldestQueryIdBeyondItsCapacity() {
        for (String id : List.of("q1", "q2", "q3", "q4")) {
            registry.register(id, List.of("a"));
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(registry.size()).isEqualTo(3);
        assertThat(registry.lookup("q1", "a").status()).as("dropped ids count as expired").isEqualTo(Status.EXPIRED);
        assertThat(registry.lookup("q2", "a").status()).isEqualTo(Status.SHOWN);
        assertThat(registry.lookup("q4", "a").status()).isEqualTo(Status.SHOWN);
    }

    @Test
    void shouldBoundTheRememberedExpiredIdsToo() {
        for (int i = 0; i < 10; i++) {
            registry.register("q" + i, List.of("a"));
        }
        // 3 live, 3 remembered as expired, the rest forgotten
        assertThat(registry.lookup("q9", "a").status()).isEqualTo(Status.SHOWN);
        assertThat(registry.lookup("q4", "a").status()).isEqualTo(Status.EXPIRED);
        assertThat(registry.lookup("q0", "a").status()).isEqualTo(Status.UNKNOWN);
    }

    @Test
    void shouldRefuseANonPositiveTtlOrCapacity() {
        assertThatThrownBy(() -> new QueryRegistry(clock, Duration.ZERO, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QueryRegistry(clock, Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
