package dev.embedloop.encode;

import java.util.List;

/**
 * Turns texts into embedding vectors with one model.
 *
 * <p>Implementations apply the model's document or query prefix themselves, truncate to the
 * model's token window, and pool and normalise as the model's descriptor says. Implementations
 * are thread-safe: callers may encode from several threads at once.
 */
public interface TextEncoder extends AutoCloseable {

    /** The descriptor of the model this encoder runs. */
    ModelDescriptor model();

    /** Encodes document texts (the document prefix applied); one vector per text, in order. */
    List<float[]> encodeDocuments(List<String> texts);

    /** Encodes one query (the query prefix applied). */
    float[] encodeQuery(String text);

    /** Releases the model's native resources. */
    @Override
    void close();
}
