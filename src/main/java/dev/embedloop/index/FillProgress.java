package dev.embedloop.index;

/**
 * Fill progress shared by the indexer instances of one alias: which input partitions have been
 * copied into a new collection, whether the alias has moved. {@link KafkaFillProgress} shares it
 * through a compacted topic; {@link InMemoryFillProgress} serves one process (tests, tools).
 * Implementations are thread-safe.
 */
public interface FillProgress extends AutoCloseable {

    /** The number of partitions of the documents topic: a fill is complete when each is done. */
    int partitions();

    /** The progress as far as this instance has read it (includes its own records). */
    FillProgressView view();

    /**
     * Records progress; returns once it is durable (the broker acknowledged it) and applied to
     * {@link #view()}.
     *
     * @throws IllegalStateException when it cannot be recorded
     */
    void publish(FillProgressRecord record);

    /** This instance's name in the records it writes. */
    String instance();

    @Override
    default void close() {}
}
