package dev.embedloop.feedback;

import dev.embedloop.events.DeadLetter;
import java.util.Objects;

/** What the join processor emits (in memory only): a dead letter, or an impression whose window closed. */
sealed interface JoinResult {

    record ToDeadLetter(DeadLetter letter) implements JoinResult {
        public ToDeadLetter {
            Objects.requireNonNull(letter, "letter");
        }
    }

    record Closed(ClosedImpression impression) implements JoinResult {
        public Closed {
            Objects.requireNonNull(impression, "impression");
        }
    }
}
