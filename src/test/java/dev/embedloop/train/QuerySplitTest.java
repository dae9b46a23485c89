package dev.embedloop.train;

import dev.embedloop.events.Queries;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QuerySplitTest {

    record Ex(String query, long ts, String version) {}

    @Test
    void shouldNormaliseCaseWhitespaceAndCompatibilityForms() {
        assertThat(Queries.normalise("  Wing\tFLUTTER \n")).isEqualTo("wing flutter");
        assertThat(Queries.normalise("ﬁn")).isEqualTo("fin"); // NFKC ligature
    }

    @Test
    void shouldNeverPutOneQueryOnBothSides() {
        List<Ex> ex = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            // repeated-query traffic: 13 queries, spellings vary, times interleave
            String q = (i % 2 == 0 ? "Query " : "query  ") + (i % 13);
            ex.add(new Ex(q, i, "v1"));
        }
        Gate.Split<Ex> s = QuerySplit.split(ex, Ex::query, Ex::ts, e -> true, 40);
        Set<String> train = QuerySplit.queries(s.train(), Ex::query);
        Set<String> held = QuerySplit.queries(s.holdout(), Ex::query);
        assertThat(held).isNotEmpty();
        assertThat(train).doesNotContainAnyElementsOf(held);
        assertThat(s.train().size() + s.holdout().size()).isEqualTo(200);
        assertThat(s.holdout().size()).isGreaterThanOrEqualTo(40);
        // the most recent query (i = 199 → query 4) is held out first
        assertThat(held).contains("query 4");
    }

    @Test
    void shouldHoldOutOnlyEligibleExamplesAndDropTheRestOfHeldOutQueries() {
        List<Ex> ex = List.of(new Ex("a", 1, "old"), new Ex("a", 5, "live"), new Ex("b", 2, "old"),
                new Ex("c", 3, "live"), new Ex("d", 4, "old"));
        Gate.Split<Ex> s = QuerySplit.split(ex, Ex::query, Ex::ts, e -> e.version().equals("live"), 2);
        assertThat(s.holdout()).extracting(Ex::query).containsExactly("c", "a");
        assertThat(s.holdout()).allMatch(e -> e.version().equals("live"));
        // a's old example is on neither side: its query is held out
        assertThat(s.train()).extracting(Ex::query).containsExactly("b", "d");
    }

    @Test
    void shouldHoldOutNothingWhenNothingIsEligible() {
        List<Ex> ex = List.of(new Ex("a", 1, "old"), new Ex("b", 2, "old"));
        Gate.Split<Ex> s = QuerySplit.split(ex, Ex::query, Ex::ts, e -> false, 1);
        assertThat(s.holdout()).isEmpty();
        assertThat(s.train()).hasSize(2);
    }

    @Test
    void shouldHoldBackTheSameQueriesWhateverTheirTimes() {
        List<Ex> first = new ArrayList<>();
        List<Ex> later = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            first.add(new Ex("query " + (i % 40), i, "v1"));
            // the same queries, spelt otherwise, in reverse order, later
            later.add(new Ex((i % 3 == 0 ? "QUERY  " : "query ") + (39 - i % 40), 10_000 - i, "v2"));
        }
        Gate.Split<Ex> a = QuerySplit.holdback(first, Ex::query, Ex::ts, e -> true, 1, 10);
        Set<String> heldA = QuerySplit.queries(a.holdout(), Ex::query);
        assertThat(heldA).hasSize(10);
        assertThat(QuerySplit.queries(a.train(), Ex::query)).doesNotContainAnyElementsOf(heldA);
        assertThat(a.train().size() + a.holdout().size()).isEqualTo(400);
        // the first ten queries by key, not the most recent ones
        assertThat(heldA).allMatch(q -> keyRank(q, first) < 10);

        Gate.Split<Ex> b = QuerySplit.holdback(later, Ex::query, Ex::ts, e -> true, 1, 10);
        assertThat(QuerySplit.queries(b.holdout(), Ex::query)).isEqualTo(heldA);
        // holding back more keeps every query held back before
        Gate.Split<Ex> c = QuerySplit.holdback(later, Ex::query, Ex::ts, e -> true, 1, 20);
        assertThat(QuerySplit.queries(c.holdout(), Ex::query)).hasSize(20).containsAll(heldA);
    }

    /** The rank of a query's key among the distinct queries of {@code ex}. */
    private static int keyRank(String query, List<Ex> ex) {
        List<String> keys = QuerySplit.queries(ex, Ex::query).stream().map(Queries::key).sorted().toList();
        return keys.indexOf(Queries.key(query));
    }
}
