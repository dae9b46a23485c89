package dev.embedloop.lineage;

import dev.embedloop.model.LinearAdapter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The files of a promoted model. A model directory holds what any ONNX runtime needs to serve
 * queries ({@code model.onnx} = base graph + adapter, {@code tokenizer.json}, {@code model.json})
 * and {@value #ADAPTER_FILE}, the adapter alone, with which the indexer turns stored base vectors
 * into the model's document vectors without running the transformer again.
 */
public final class ModelStore {

    /** The adapter (relative to the frozen base), {@link LinearAdapter}'s binary format. */
    public static final String ADAPTER_FILE = "adapter.bin";

    private ModelStore() {}

    /** The directory of a promoted model. */
    public static Path directory(ModelUpdate update) {
        return Path.of(update.path());
    }

    /** The model's own adapter (what its queries get). */
    public static LinearAdapter adapter(ModelUpdate update) throws IOException {
        return LinearAdapter.load(directory(update).resolve(ADAPTER_FILE));
    }

    /**
     * The adapter documents get for a collection of {@code documentVersion}: empty for the base
     * version (documents carry base vectors), else that symmetric model's adapter.
     */
    public static Optional<LinearAdapter> documentAdapter(ModelLineage lineage, String documentVersion) throws IOException {
        if (documentVersion.equals(lineage.baseVersion())) {
            return Optional.empty();
        }
        ModelUpdate update = lineage.get(documentVersion).orElseThrow(() -> new IOException(
                "unknown model version " + documentVersion + " (not on the model-updates topic)"));
        return Optional.of(adapter(update));
    }
}
