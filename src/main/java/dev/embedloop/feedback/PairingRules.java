package dev.embedloop.feedback;

import dev.embedloop.events.Click;
import dev.embedloop.events.Impression;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The pairing rules of the feedback loop, as pure functions: no state, no I/O, no clock. The
 * processors hold the state (windows, recent positives, dedup, caps) and call these.
 *
 * <ul>
 *   <li><b>Positives</b>: the shown results that were clicked with a dwell time of at least
 *       {@code minDwellMs}; a click without a dwell time counts. Several clicks on one result are
 *       one click: the strongest ({@link #merge}). A click on a result the impression did not show
 *       is ignored here (the topology dead-letters it before).
 *   <li><b>Negatives</b> (skip-above): the results shown above the lowest click (of any dwell) that
 *       were not clicked: the user examined them on the way down and preferred the clicks. With
 *       {@code includeBelowClick}, also the unclicked result right below a click. A clicked result
 *       with a short dwell is neither positive nor negative. A document that is a positive of the
 *       same query text (in this impression or a recent one) is never a negative. At most
 *       {@code maxNegatives}, best rank first.
 *   <li><b>Examples</b>: one per positive, each with all the impression's negatives, none when
 *       the impression has no positive.
 *   <li><b>Weight</b>: {@code min(maxWeight, 1 / propensity(rank of the positive))}.
 * </ul>
 */
public final class PairingRules {

    private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private final long minDwellMs;
    private final boolean includeBelowClick;
    private final PropensityModel propensity;
    private final double maxWeight;
    private final int maxNegatives;

    public PairingRules(long minDwellMs, boolean includeBelowClick, PropensityModel propensity, double maxWeight,
            int maxNegatives) {
        if (minDwellMs < 0) {
            throw new IllegalArgumentException("minDwellMs must not be negative");
        }
        if (!(maxWeight >= 1.0)) {
            throw new IllegalArgumentException("maxWeight must be at least 1");
        }
        if (maxNegatives < 0) {
            throw new IllegalArgumentException("maxNegatives must not be negative");
        }
        this.minDwellMs = minDwellMs;
        this.includeBelowClick = includeBelowClick;
        this.propensity = Objects.requireNonNull(propensity, "propensity");
        this.maxWeight = maxWeight;
        this.maxNegatives = maxNegatives;
    }

    /** The rules configured by {@code settings}. */
    public static PairingRules of(FeedbackSettings settings) {
        return new PairingRules(settings.minDwellMs(), settings.includeBelowClick(), settings.propensity(),
                settings.maxWeight(), settings.maxNegatives());
    }

    /** An example to build: the positive, the negatives (best rank first) and the weight. */
    public record Pair(Impression.Result positive, List<Impression.Result> negatives, double weight) {
        public Pair {
            Objects.requireNonNull(positive, "positive");
            negatives = List.copyOf(negatives);
        }
    }

    /**
     * What {@link #pair} decided.
     *
     * @param pairs one per positive, best rank first
     * @param excludedAsRecentPositive candidate negatives left out because they are a recent positive
     * @param excludedOverLimit candidate negatives left out over {@code maxNegatives}
     */
    public record Pairing(List<Pair> pairs, int excludedAsRecentPositive, int excludedOverLimit) {
        public Pairing {
            pairs = List.copyOf(pairs);
        }

        static final Pairing NONE = new Pairing(List.of(), 0, 0);
    }

    /** Whether {@code click} makes its result a positive: no dwell time, or at least {@code minDwellMs}. */
    public boolean isPositive(Click click) {
        return click.dwellMs() == null || click.dwellMs() >= minDwellMs;
    }

    /**
     * Two clicks on the same result as one: the stronger wins. A click without a dwell time is the
     * strongest (it counts as positive whatever the threshold), then the longer dwell; on a tie the
     * earlier click stays, so merging is deterministic.
     */
    public static Click merge(Click kept, Click incoming) {
        if (kept == null) {
            return incoming;
        }
        if (!kept.docId().equals(incoming.docId())) {
            throw new IllegalArgumentException("clicks on different documents do not merge");
        }
        return strength(incoming) > strength(kept) ? incoming : kept;
    }

    private static long strength(Click c) {
        return c.dwellMs() == null ? Long.MAX_VALUE : c.dwellMs();
    }

    /** The position-bias weight of a positive shown at {@code rank}: inverse propensity, clipped. */
    public double weight(int rank) {
        double p = propensity.propensity(rank);
        return Math.max(1.0, Math.min(maxWeight, 1.0 / p));
    }

    /**
     * Decides the examples of one impression whose window closed.
     *
     * @param impression the impression
     * @param clicks its clicks (any order, any number per result; clicks on documents it did not
     *     show are ignored)
     * @param recentPositives ids of documents that were recently positives of the same query text
     *     in other impressions; they are never negatives
     */
    public Pairing pair(Impression impression, Collection<Click> clicks, Set<String> recentPositives) {
        if (clicks.isEmpty()) {
            return Pairing.NONE;
        }
        // one entry per document, at its best rank, in rank order
        TreeMap<Integer, Impression.Result> byRank = new TreeMap<>();
        Map<String, Impression.Result> byDoc = new LinkedHashMap<>();
        for (Impression.Result r : impression.results()) {
            Impression.Result seen = byDoc.get(r.docId());
            if (seen == null || r.rank() < seen.rank()) {
                if (seen != null) {
                    byRank.remove(seen.rank());
                }
                byDoc.put(r.docId(), r);
                byRank.put(r.rank(), r);
            }
        }
        Map<String, Click> clickByDoc = new LinkedHashMap<>();
        for (Click c : clicks) {
            if (byDoc.containsKey(c.docId())) {
                clickByDoc.merge(c.docId(), c, PairingRules::merge);
            }
        }
        List<Impression.Result> positives = new ArrayList<>();
        int lowestClick = 0;
        for (Impression.Result r : byRank.values()) {
            Click c = clickByDoc.get(r.docId());
            if (c != null) {
                lowestClick = Math.max(lowestClick, r.rank());
                if (isPositive(c)) {
                    positives.add(r);
                }
            }
        }
        if (positives.isEmpty()) {
            return Pairing.NONE;
        }
        TreeMap<Integer, Impression.Result> candidates = new TreeMap<>();
        for (Impression.Result r : byRank.headMap(lowestClick, false).values()) {
            if (!clickByDoc.containsKey(r.docId())) {
                candidates.put(r.rank(), r);
            }
        }
        if (includeBelowClick) {
            for (Impression.Result r : byRank.values()) {
                if (clickByDoc.containsKey(r.docId())) {
                    Map.Entry<Integer, Impression.Result> below = byRank.higherEntry(r.rank());
                    if (below != null && !clickByDoc.containsKey(below.getValue().docId())) {
                        candidates.put(below.getKey(), below.getValue());
                    }
                }
            }
        }
        List<Impression.Result> negatives = new ArrayList<>();
        int recent = 0;
        int overLimit = 0;
        for (Impression.Result r : candidates.values()) {
            if (recentPositives.contains(r.docId())) {
                recent++;
            } else if (negatives.size() < maxNegatives) {
                negatives.add(r);
            } else {
                overLimit++;
            }
        }
        // positives are in rank order already (collected from byRank)
        List<Pair> pairs = new ArrayList<>(positives.size());
        for (Impression.Result p : positives) {
            pairs.add(new Pair(p, negatives, weight(p.rank())));
        }
        return new Pairing(pairs, recent, overLimit);
    }

    /**
     * The form of a query under which "the same query" is judged (dedup, recent positives): Unicode
     * NFKC, lower case, control characters removed, runs of white space as one space, trimmed.
     */
    public static String normaliseQuery(String query) {
        String s = Normalizer.normalize(query, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        s = CONTROL.matcher(s).replaceAll(" ");
        return SPACES.matcher(s).replaceAll(" ").strip();
    }

    /**
     * A fixed-size key for the normalised query: SHA-256, hex. Keys of the by-query state and of the
     * repartition topic, so they stay small and carry no query text.
     */
    public static String queryKey(String query) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(normaliseQuery(query).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    /**
     * Who an impression is capped under: {@code u:<user_id>} when there is a user id, otherwise
     * {@code s:<session_id>}, otherwise nobody (anonymous impressions are not capped).
     */
    public static Optional<String> identity(Impression impression) {
        if (impression.userId() != null && !impression.userId().isBlank()) {
            return Optional.of("u:" + impression.userId());
        }
        if (impression.sessionId() != null && !impression.sessionId().isBlank()) {
            return Optional.of("s:" + impression.sessionId());
        }
        return Optional.empty();
    }

    /**
     * {@code text} cut to at most {@code maxChars} UTF-16 chars, never in the middle of a surrogate
     * pair.
     */
    public static String truncate(String text, int maxChars) {
        if (maxChars < 1) {
            throw new IllegalArgumentException("maxChars must be at least 1");
        }
        if (text.length() <= maxChars) {
            return text;
        }
        int end = maxChars;
        if (Character.isHighSurrogate(text.charAt(end - 1)) && Character.isLowSurrogate(text.charAt(end))) {
            end--;
        }
        return text.substring(0, end);
    }

    /**
     * The cap of one identity: how many examples it had in its current window.
     *
     * @param windowEnd when the window ends (wall clock, epoch ms); the next example after it starts a new one
     * @param count examples admitted in the window
     */
    public record CapWindow(long windowEnd, int count) {}

    /**
     * Admits one more example of an identity whose cap state is {@code current} (null: none yet).
     *
     * @return the new cap state, or empty when the cap is reached (the example is dropped)
     */
    public static Optional<CapWindow> admit(CapWindow current, long now, int cap, long windowMs) {
        if (current == null || current.windowEnd() <= now) {
            return Optional.of(new CapWindow(now + windowMs, 1));
        }
        if (current.count() < cap) {
            return Optional.of(new CapWindow(current.windowEnd(), current.count() + 1));
        }
        return Optional.empty();
    }
}
