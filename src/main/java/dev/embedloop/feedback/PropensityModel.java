package dev.embedloop.feedback;

import java.util.Locale;

/**
 * How likely a user is to examine a result at a given rank: the propensity used for the
 * position-bias weight of a training example, {@code weight = min(maxWeight, 1 / p(rank))}.
 *
 * <p>{@link PowerLaw}: {@code p(r) = (1/r)^eta}, so {@code weight = r^eta}; {@code eta = 0.7} is
 * the examination model of the click simulator used by {@code eval}. With {@code eta = 1} a click
 * at rank 5 counts five times a click at rank 1. {@link None}: every rank is examined, every weight
 * is 1. Clipping the weight keeps a few lucky clicks deep in the list from dominating training
 * (the usual variance control of inverse propensity scoring).
 */
public sealed interface PropensityModel {

    /** The probability that rank {@code rank} (1-based) is examined, in (0, 1]. */
    double propensity(int rank);

    /** A name and parameters, as written in configuration. */
    String describe();

    /** {@code p(r) = (1/r)^eta}. */
    static PropensityModel powerLaw(double eta) {
        return new PowerLaw(eta);
    }

    /** {@code p(r) = 1}: no position-bias correction. */
    static PropensityModel none() {
        return new None();
    }

    /**
     * The model named {@code name} ({@code power-law} or {@code none}, case-insensitive);
     * {@code eta} is used by {@code power-law} only.
     *
     * @throws IllegalArgumentException for an unknown name or a bad eta
     */
    static PropensityModel parse(String name, double eta) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "power-law", "power_law", "powerlaw" -> powerLaw(eta);
            case "none" -> none();
            default -> throw new IllegalArgumentException("unknown propensity model '" + name + "' (power-law, none)");
        };
    }

    /** {@code p(r) = (1/r)^eta}, {@code 0 <= eta <= 5}. */
    record PowerLaw(double eta) implements PropensityModel {
        public PowerLaw {
            if (!(eta >= 0 && eta <= 5)) {
                throw new IllegalArgumentException("eta must be within [0, 5], was " + eta);
            }
        }

        @Override
        public double propensity(int rank) {
            if (rank < 1) {
                throw new IllegalArgumentException("rank must be at least 1, was " + rank);
            }
            return Math.pow(1.0 / rank, eta);
        }

        @Override
        public String describe() {
            return "power-law(eta=" + eta + ")";
        }
    }

    /** Every rank examined. */
    record None() implements PropensityModel {
        @Override
        public double propensity(int rank) {
            if (rank < 1) {
                throw new IllegalArgumentException("rank must be at least 1, was " + rank);
            }
            return 1.0;
        }

        @Override
        public String describe() {
            return "none";
        }
    }
}
