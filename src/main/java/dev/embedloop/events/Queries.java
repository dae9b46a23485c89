package dev.embedloop.events;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.Locale;

/**
 * One notion of "the same query" for every stage: the trainer's splits, the online gate's
 * "not trained on" rule and the interleaving outcomes all compare queries by {@link #normalise}
 * or by its {@link #key}, a digest that names the query without carrying its text.
 */
public final class Queries {

    private Queries() {}

    /** Lower case, NFKC, whitespace collapsed and trimmed: "Wing  Flutter " and "wing flutter" are one query. */
    public static String normalise(String query) {
        return Normalizer.normalize(query, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT).replaceAll("\\s+", " ")
                .strip();
    }

    /**
     * The query's key: the first 64 bits of SHA-256 over its normalised text, as 16 hex digits.
     * Equal for queries that {@link #normalise} to the same text; a collision between two of a
     * window's queries has a probability of about n²/2⁶⁵.
     */
    public static String key(String query) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(normalise(query).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }
}
