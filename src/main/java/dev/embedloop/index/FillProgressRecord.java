package dev.embedloop.index;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * One record of the compacted fill-progress topic, shared by every indexer instance of an alias.
 *
 * <pre>{@code
 * {"fill": "docs__v2@17", "kind": "done", "round": 0, "partition": 3, "points": 1204,
 *  "at": 1764105600000, "instance": "host-a/4711"}
 * }</pre>
 *
 * <p>A <b>fill</b> is one re-index into a collection: {@code <collection>@<epoch>}, the epoch being
 * the {@code model-updates} offset that made its version the live document version, so every
 * instance names the same fill alike and a later fill into the same collection (after a rollback)
 * never sees old records. Kinds:
 * <ul>
 *   <li>{@value #DONE}: the task of input partition {@code partition} copied its stored base
 *       vectors into the collection in round {@code round} (key {@code <fill>/p<partition>}).</li>
 *   <li>{@value #ROUND}: the fill starts over in round {@code round} (the count check found the
 *       new collection short); earlier rounds' done records no longer count (key {@code <fill>/round}).</li>
 *   <li>{@value #MOVED}: the alias was moved to the collection at {@code at}; every instance
 *       retires its live collection from then on, retention counted from {@code at} (key {@code <fill>/moved}).</li>
 * </ul>
 *
 * @param fill the fill's id
 * @param kind {@value #DONE}, {@value #ROUND} or {@value #MOVED}
 * @param round the fill round the record belongs to
 * @param partition the input partition ({@code -1} unless {@value #DONE})
 * @param points chunk points the task copied (informative)
 * @param at epoch ms when the record was written
 * @param instance which indexer instance wrote it (informative)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FillProgressRecord(
        @JsonProperty("fill") String fill,
        @JsonProperty("kind") String kind,
        @JsonProperty("round") int round,
        @JsonProperty("partition") int partition,
        @JsonProperty("points") long points,
        @JsonProperty("at") long at,
        @JsonProperty("instance") String instance) {

    public static final String DONE = "done";
    public static final String ROUND = "round";
    public static final String MOVED = "moved";

    public FillProgressRecord {
        Objects.requireNonNull(fill, "fill");
        Objects.requireNonNull(kind, "kind");
        if (!kind.equals(DONE) && !kind.equals(ROUND) && !kind.equals(MOVED)) {
            throw new IllegalArgumentException("kind must be done, round or moved, was " + kind);
        }
        if (kind.equals(DONE) && partition < 0) {
            throw new IllegalArgumentException("a done record needs a partition");
        }
        if (round < 0) {
            throw new IllegalArgumentException("round must not be negative");
        }
    }

    public static FillProgressRecord done(String fill, int round, int partition, long points, long at, String instance) {
        return new FillProgressRecord(fill, DONE, round, partition, points, at, instance);
    }

    public static FillProgressRecord round(String fill, int round, long at, String instance) {
        return new FillProgressRecord(fill, ROUND, round, -1, 0, at, instance);
    }

    public static FillProgressRecord moved(String fill, int round, long at, String instance) {
        return new FillProgressRecord(fill, MOVED, round, -1, 0, at, instance);
    }

    /** The compaction key: the latest record per partition, per round marker and per move is what counts. */
    public String key() {
        return fill + "/" + (kind.equals(DONE) ? "p" + partition : kind);
    }
}
