package dev.embedloop.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The graded judgements of one split: query id → (document id → grade). A grade ≤ 0 means "judged
 * not relevant"; documents without a judgement are not relevant either.
 *
 * @param split the split name ({@code test}, {@code train}, …)
 * @param judgements per query, in file order
 * @param repeatedJudgements lines that judged a (query, document) pair an earlier line had judged
 *     (the last grade counts)
 */
public record Qrels(String split, Map<String, Map<String, Integer>> judgements, int repeatedJudgements) {

    public Qrels {
        Objects.requireNonNull(split, "split");
        Map<String, Map<String, Integer>> copy = new LinkedHashMap<>();
        judgements.forEach((q, docs) -> copy.put(q, Collections.unmodifiableMap(new LinkedHashMap<>(docs))));
        judgements = Collections.unmodifiableMap(copy);
    }

    public Qrels(String split, Map<String, Map<String, Integer>> judgements) {
        this(split, judgements, 0);
    }

    /** The judged queries, in file order. */
    public Set<String> queryIds() {
        return judgements.keySet();
    }

    /** The judgements of {@code queryId}; empty when the query is not judged. */
    public Map<String, Integer> of(String queryId) {
        return judgements.getOrDefault(queryId, Map.of());
    }

    /** How many judgements there are over all queries. */
    public int size() {
        return judgements.values().stream().mapToInt(Map::size).sum();
    }

    /** The judgements of {@code queryIds} only (for splitting a split by query). */
    public Qrels restrictedTo(java.util.Collection<String> queryIds) {
        Map<String, Map<String, Integer>> out = new java.util.LinkedHashMap<>();
        for (String q : queryIds) {
            if (judgements.containsKey(q)) {
                out.put(q, judgements.get(q));
            }
        }
        return new Qrels(split, out);
    }
}
