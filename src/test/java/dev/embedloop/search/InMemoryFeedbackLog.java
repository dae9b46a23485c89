package dev.embedloop.search;

import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.Impression;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link FeedbackLog} in memory, for tests: keeps what was written; can be made to fail like a broker that is down. */
final class InMemoryFeedbackLog implements FeedbackLog {

    final List<Impression> impressions = new CopyOnWriteArrayList<>();
    final List<Click> clicks = new CopyOnWriteArrayList<>();
    final List<DeadLetter> deadLetters = new CopyOnWriteArrayList<>();
    private volatile boolean unavailable;

    /** From now on every write fails with {@link UnavailableException} (or works again). */
    void unavailable(boolean unavailable) {
        this.unavailable = unavailable;
    }

    @Override
    public void impression(Impression impression) {
        check();
        impressions.add(impression);
    }

    @Override
    public void click(Click click) {
        check();
        clicks.add(click);
    }

    @Override
    public void deadLetter(DeadLetter letter) {
        check();
        deadLetters.add(letter);
    }

    @Override
    public String problem() {
        return unavailable ? "in-memory log switched off" : null;
    }

    private void check() {
        if (unavailable) {
            throw new UnavailableException("in-memory log switched off", null);
        }
    }

    @Override
    public void close() {}
}
