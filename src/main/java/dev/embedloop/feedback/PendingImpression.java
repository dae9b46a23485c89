package dev.embedloop.feedback;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.embedloop.events.Click;
import dev.embedloop.events.Impression;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An impression whose click window is open, as held in the pending-impressions store (key =
 * query_id). At most one click per shown document: repeated clicks are merged
 * ({@link PairingRules#merge}), so the value stays bounded by the number of results.
 *
 * @param impression the impression
 * @param clicks its clicks so far, one per clicked document
 * @param arrivedAt wall-clock time the impression arrived here, epoch ms
 * @param closesAt wall-clock time its window closes: {@code arrivedAt + window}
 */
record PendingImpression(
        @JsonProperty("impression") Impression impression,
        @JsonProperty("clicks") List<Click> clicks,
        @JsonProperty("arrived_at") long arrivedAt,
        @JsonProperty("closes_at") long closesAt) {

    public PendingImpression {
        Objects.requireNonNull(impression, "impression");
        clicks = List.copyOf(clicks);
    }

    /** This impression with {@code click} merged into its clicks. */
    PendingImpression withClick(Click click) {
        List<Click> merged = new ArrayList<>(clicks.size() + 1);
        boolean found = false;
        for (Click c : clicks) {
            if (c.docId().equals(click.docId())) {
                merged.add(PairingRules.merge(c, click));
                found = true;
            } else {
                merged.add(c);
            }
        }
        if (!found) {
            merged.add(click);
        }
        return new PendingImpression(impression, merged, arrivedAt, closesAt);
    }
}
