package dev.embedloop.search;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A {@link SearchBackend} over a fixed list of hits: every query gets the first k, best first.
 * Counts calls and the most calls in flight at once; can fail, and can hold the first calls until
 * a given number of them are running together (to prove parallelism without sleeping).
 */
final class FakeSearchBackend implements SearchBackend {

    static final String MODEL_VERSION = "fake-model-7";

    private final List<Hit> hits;
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile Supplier<RuntimeException> failure;
    private volatile CountDownLatch gate;

    FakeSearchBackend(List<Hit> hits) {
        this.hits = List.copyOf(hits);
    }

    /** Five aeronautics documents with titles and snippets, scores 0.9, 0.8 … 0.5. */
    static FakeSearchBackend aeronautics() {
        String[][] docs = {
            {"wing-lift", "How a wing produces lift", "A wing deflects air downwards and is pushed up in return; the pressure above the wing is lower than below."},
            {"flutter", "Wing flutter", "Flutter is a self-excited oscillation of a wing in which aerodynamic forces couple with its elastic modes."},
            {"boundary-layer", "Boundary layers", "The boundary layer thickens along the plate and separates when the pressure gradient turns adverse."},
            {"stall", "Stall at high angle of attack", "Beyond the critical angle of attack the flow separates from the upper surface and lift collapses."},
            {"sourdough", "Sourdough", "Wild yeast and lactic bacteria leaven sourdough bread."},
        };
        float[] scores = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
        List<Hit> hits = new ArrayList<>();
        for (int i = 0; i < docs.length; i++) {
            hits.add(new Hit(docs[i][0], 0, scores[i], docs[i][1], docs[i][2]));
        }
        return new FakeSearchBackend(hits);
    }

    /** Every later call throws what {@code failure} gives; null to work again. */
    void failWith(Supplier<RuntimeException> failure) {
        this.failure = failure;
    }

    /** The next {@code parties} calls wait (at most 10 s) until all of them are running. */
    void holdUntilConcurrent(int parties) {
        this.gate = new CountDownLatch(parties);
    }

    int calls() {
        return calls.get();
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    @Override
    public List<Hit> search(String query, int k) {
        calls.incrementAndGet();
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            CountDownLatch g = gate;
            if (g != null && g.getCount() > 0) {
                g.countDown();
                try {
                    if (!g.await(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new IllegalStateException("the gate never opened: fewer calls ran together than expected");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            Supplier<RuntimeException> f = failure;
            if (f != null) {
                throw f.get();
            }
            return hits.subList(0, Math.min(k, hits.size()));
        } finally {
            inFlight.decrementAndGet();
        }
    }

    @Override
    public String modelVersion() {
        return MODEL_VERSION;
    }
}
