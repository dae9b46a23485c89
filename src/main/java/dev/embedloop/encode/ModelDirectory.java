package dev.embedloop.encode;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A model directory: {@code model.onnx} (the graph), {@code tokenizer.json} (a HuggingFace
 * tokenizer) and {@code model.json} (its {@link ModelDescriptor}).
 *
 * @param root the directory
 * @param modelFile {@code root/model.onnx}
 * @param tokenizerFile {@code root/tokenizer.json}
 * @param descriptor what {@code model.json} says (or a replacement, see {@link #withDescriptor})
 */
public record ModelDirectory(Path root, Path modelFile, Path tokenizerFile, ModelDescriptor descriptor) {

    /** File name of the ONNX graph in a model directory. */
    public static final String MODEL_FILE = "model.onnx";
    /** File name of the HuggingFace tokenizer in a model directory. */
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** File name of the descriptor in a model directory. */
    public static final String DESCRIPTOR_FILE = "model.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelDirectory {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(modelFile, "modelFile");
        Objects.requireNonNull(tokenizerFile, "tokenizerFile");
        Objects.requireNonNull(descriptor, "descriptor");
    }

    /**
     * Loads the model directory at {@code dir}, checking that all three files are there.
     *
     * @throws NoSuchFileException naming the directory or the missing file
     * @throws IOException if {@code model.json} cannot be read or is invalid (the message says why)
     */
    public static ModelDirectory load(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new NoSuchFileException(root.toString(), null,
                    "model directory does not exist or is not a directory (expected "
                            + MODEL_FILE + ", " + TOKENIZER_FILE + " and " + DESCRIPTOR_FILE + " in it)");
        }
        Path model = require(root, MODEL_FILE);
        Path tokenizer = require(root, TOKENIZER_FILE);
        Path descriptorFile = require(root, DESCRIPTOR_FILE);
        return new ModelDirectory(root, model, tokenizer, readDescriptor(descriptorFile));
    }

    /** Reads and validates a {@code model.json}. */
    public static ModelDescriptor readDescriptor(Path descriptorFile) throws IOException {
        try {
            return JSON.readValue(descriptorFile.toFile(), ModelDescriptor.class);
        } catch (JsonProcessingException e) {
            // the record's own validation message sits at the bottom of Jackson's cause chain
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            String why = root == e ? e.getOriginalMessage() : root.getMessage();
            throw new IOException("invalid " + descriptorFile + ": " + why, e);
        }
    }

    /** The same files with another descriptor, e.g. one with a query prefix for a test. */
    public ModelDirectory withDescriptor(ModelDescriptor replacement) {
        return new ModelDirectory(root, modelFile, tokenizerFile, replacement);
    }

    private static Path require(Path root, String name) throws NoSuchFileException {
        Path file = root.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "model directory " + root + " has no " + name);
        }
        return file;
    }
}
