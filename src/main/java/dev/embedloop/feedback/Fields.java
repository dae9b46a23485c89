package dev.embedloop.feedback;

/** Checks shared by the compact constructors of the feedback events; messages name the JSON field. */
final class Fields {

    private Fields() {}

    static String requireNonBlank(String value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is missing");
        }
        if (value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be blank");
        }
        return value;
    }

    static void requireNotNegative(long value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must not be negative, was " + value);
        }
    }
}
