package dev.embedloop.lineage;

import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.model.OnnxAdapterExport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of a promoted model. A model directory holds what any ONNX runtime needs to serve
 * queries ({@code model.onnx} = base graph + adapter, {@code tokenizer.json}, {@code model.json})
 * and {@value #ADAPTER_FILE}, the adapter alone, with which the indexer turns stored base vectors
 * into the model's document vectors without running the transformer again.
 *
 * <p>Two ways to reach it: a record with a {@link ModelArtifact} carries the adapter itself, and
 * each instance rebuilds the model into its own local store ({@link #materialise}), checked
 * against the record's checksums: no disk is shared. A record without one names a directory
 * ({@code path}) that every instance must see (a shared volume; for models too large for a record).
 */
public final class ModelStore {

    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);

    /** The adapter (relative to the frozen base), {@link LinearAdapter}'s binary format. */
    public static final String ADAPTER_FILE = "adapter.bin";

    private ModelStore() {}

    /** The directory of a promoted model in the shared store (the record's {@code path}). */
    public static Path directory(ModelUpdate update) {
        return Path.of(update.path());
    }

    /**
     * The model's own adapter (what its queries get): from the record's artifact when it carries
     * one (checked against its checksum), else from {@code path}.
     */
    public static LinearAdapter adapter(ModelUpdate update) throws IOException {
        if (update.artifact() != null) {
            return LinearAdapter.fromBytes(checkedAdapterBytes(update));
        }
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

    /**
     * The artifact of an exported model directory (its {@value #ADAPTER_FILE} and {@code model.onnx})
     * exported from {@code base}: what the trainer puts into the model's record.
     */
    public static ModelArtifact artifact(Path modelDir, ModelDirectory base) throws IOException {
        byte[] adapter = Files.readAllBytes(modelDir.resolve(ADAPTER_FILE));
        return new ModelArtifact(Base64.getEncoder().encodeToString(adapter), sha256(adapter),
                sha256(modelDir.resolve(ModelDirectory.MODEL_FILE)), sha256(base.modelFile()));
    }

    /**
     * The model directory of {@code update} on this host. Without an artifact: the shared
     * directory {@code path}. With one: {@code <localStore>/<version>}, rebuilt there from
     * {@code base} and the record's adapter when it is missing or does not match the record's
     * checksum, built in a temporary directory and moved into place, so a half-built model is never
     * loaded.
     *
     * @throws IOException when the adapter or the rebuilt {@code model.onnx} do not match their
     *     checksums (for instance a base model that differs from the trainer's), or on I/O errors
     */
    public static ModelDirectory materialise(ModelUpdate update, Path localStore, ModelDirectory base)
            throws IOException {
        ModelArtifact artifact = update.artifact();
        if (artifact == null) {
            return ModelDirectory.load(directory(update));
        }
        Path dir = localStore.resolve(update.version());
        Path modelFile = dir.resolve(ModelDirectory.MODEL_FILE);
        if (Files.isRegularFile(modelFile) && Files.isRegularFile(dir.resolve(ModelDirectory.DESCRIPTOR_FILE))
                && sha256(modelFile).equals(artifact.modelSha256())) {
            return ModelDirectory.load(dir);
        }
        if (artifact.baseModelSha256() != null) {
            String baseSha = sha256(base.modelFile());
            if (!baseSha.equals(artifact.baseModelSha256())) {
                throw new IOException("cannot rebuild model " + update.version() + ": the base model " + base.root()
                        + " (sha-256 " + baseSha + ") is not the one it was trained on (" + artifact.baseModelSha256() + ")");
            }
        }
        LinearAdapter adapter = LinearAdapter.fromBytes(checkedAdapterBytes(update));
        long start = System.nanoTime();
        Files.createDirectories(localStore);
        Path tmp = localStore.resolve("." + update.version() + "-" + UUID.randomUUID() + ".tmp");
        try {
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("parent", update.parent());
            extra.put("document_version", update.documentVersion());
            extra.put("rebuilt_from", "model-updates");
            OnnxAdapterExport.export(base, adapter, tmp, update.version(), extra);
            adapter.save(tmp.resolve(ADAPTER_FILE));
            String sha = sha256(tmp.resolve(ModelDirectory.MODEL_FILE));
            if (!sha.equals(artifact.modelSha256())) {
                throw new IOException("rebuilt model " + update.version() + " has sha-256 " + sha + ", its record says "
                        + artifact.modelSha256() + "; not serving it");
            }
            deleteTree(dir);
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir);
            }
        } finally {
            deleteTree(tmp);
        }
        LOG.info("model {} rebuilt into {} from its model-updates record in {} ms (checksum verified)",
                update.version(), dir, (System.nanoTime() - start) / 1_000_000);
        return ModelDirectory.load(dir);
    }

    private static byte[] checkedAdapterBytes(ModelUpdate update) throws IOException {
        ModelArtifact artifact = update.artifact();
        byte[] bytes;
        try {
            bytes = artifact.adapterBytes();
        } catch (IllegalArgumentException e) {
            throw new IOException("the adapter of model " + update.version() + " is not valid base64", e);
        }
        String sha = sha256(bytes);
        if (!sha.equals(artifact.adapterSha256())) {
            throw new IOException("the adapter of model " + update.version() + " has sha-256 " + sha
                    + ", its record says " + artifact.adapterSha256());
        }
        return bytes;
    }

    /** Hex SHA-256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** Hex SHA-256 of a file, streamed. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
