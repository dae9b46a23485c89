package dev.embedloop.feedback;

import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.Impression;
import java.util.Objects;

/**
 * What the parse processors hand to the join processor (in memory only, never serialised): a
 * parsed event with its original bytes (kept for a later dead letter), or a refused record.
 */
sealed interface Inbound {

    record ImpressionIn(Impression impression, byte[] raw) implements Inbound {
        public ImpressionIn {
            Objects.requireNonNull(impression, "impression");
        }
    }

    record ClickIn(Click click, byte[] raw) implements Inbound {
        public ClickIn {
            Objects.requireNonNull(click, "click");
        }
    }

    record Rejected(DeadLetter letter) implements Inbound {
        public Rejected {
            Objects.requireNonNull(letter, "letter");
        }
    }
}
