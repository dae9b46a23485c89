package dev.embedloop.events;

/** Checks shared by the compact constructors of the feedback events; messages name the JSON field. */
public final class Fields {

    private Fields() {}

    public static String requireNonBlank(String value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is missing");
        }
        if (value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be blank");
        }
        return value;
    }

    public static void requireNotNegative(long value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must not be negative, was " + value);
        }
    }
}
