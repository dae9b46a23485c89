package dev.embedloop.feedback;

import java.time.Duration;

/** A mutable builder of {@link FeedbackSettings} for tests: short windows, explicit values. */
final class TestSettings {
    String impressions = "search-impressions";
    String clicks = "clicks";
    String documents = "documents";
    String trainingPairs = "training-pairs";
    String deadLetter = "clicks.dlq";
    Duration window = Duration.ofSeconds(60);
    Duration punctuation = Duration.ofSeconds(1);
    long minDwellMs = 5_000;
    boolean includeBelowClick = false;
    PropensityModel propensity = PropensityModel.powerLaw(0.7);
    double maxWeight = 10;
    int maxNegatives = 10;
    Duration dedupWindow = Duration.ofMinutes(30);
    int cap = 100;
    Duration capWindow = Duration.ofMinutes(30);
    Duration recentPositiveTtl = Duration.ofHours(2);
    Duration lateClickRetention = Duration.ofMinutes(10);
    int maxTextChars = 2000;

    TestSettings copy() {
        TestSettings c = new TestSettings();
        c.impressions = impressions;
        c.clicks = clicks;
        c.documents = documents;
        c.trainingPairs = trainingPairs;
        c.deadLetter = deadLetter;
        c.window = window;
        c.punctuation = punctuation;
        c.minDwellMs = minDwellMs;
        c.includeBelowClick = includeBelowClick;
        c.propensity = propensity;
        c.maxWeight = maxWeight;
        c.maxNegatives = maxNegatives;
        c.dedupWindow = dedupWindow;
        c.cap = cap;
        c.capWindow = capWindow;
        c.recentPositiveTtl = recentPositiveTtl;
        c.lateClickRetention = lateClickRetention;
        c.maxTextChars = maxTextChars;
        return c;
    }

    TestSettings impressions(String v) { impressions = v; return this; }
    TestSettings deadLetter(String v) { deadLetter = v; return this; }
    TestSettings window(Duration v) { window = v; return this; }
    TestSettings punctuation(Duration v) { punctuation = v; return this; }
    TestSettings minDwellMs(long v) { minDwellMs = v; return this; }
    TestSettings includeBelowClick(boolean v) { includeBelowClick = v; return this; }
    TestSettings propensity(PropensityModel v) { propensity = v; return this; }
    TestSettings maxWeight(double v) { maxWeight = v; return this; }
    TestSettings maxNegatives(int v) { maxNegatives = v; return this; }
    TestSettings dedupWindow(Duration v) { dedupWindow = v; return this; }
    TestSettings cap(int v) { cap = v; return this; }
    TestSettings capWindow(Duration v) { capWindow = v; return this; }
    TestSettings recentPositiveTtl(Duration v) { recentPositiveTtl = v; return this; }
    TestSettings lateClickRetention(Duration v) { lateClickRetention = v; return this; }
    TestSettings maxTextChars(int v) { maxTextChars = v; return this; }

    FeedbackSettings build() {
        return new FeedbackSettings(impressions, clicks, documents, trainingPairs, deadLetter, window, punctuation,
                minDwellMs, includeBelowClick, propensity, maxWeight, maxNegatives, dedupWindow, cap, capWindow,
                recentPositiveTtl, lateClickRetention, maxTextChars, "interleaving-outcomes");
    }
}
