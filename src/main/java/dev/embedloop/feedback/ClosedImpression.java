package dev.embedloop.feedback;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.embedloop.events.Click;
import dev.embedloop.events.Impression;
import java.util.List;
import java.util.Objects;

/**
 * An impression whose window closed, with its clicks: what the join stage hands to the pairing
 * stage through the by-query repartition topic (key = {@link PairingRules#queryKey} of its query).
 *
 * @param impression the impression
 * @param clicks its clicks, one per clicked document, never empty
 */
record ClosedImpression(
        @JsonProperty("impression") Impression impression,
        @JsonProperty("clicks") List<Click> clicks) {

    public ClosedImpression {
        Objects.requireNonNull(impression, "impression");
        clicks = List.copyOf(clicks);
    }
}
