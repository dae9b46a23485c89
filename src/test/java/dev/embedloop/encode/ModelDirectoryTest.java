package dev.embedloop.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {

    static final String DESCRIPTOR = """
            {"name": "tiny", "version": "tiny-1", "dimension": 8, "pooling": "mean", "normalize": true,
             "max_tokens": 16, "query_prefix": "query: ", "include_token_types": false, "extra": 1}
            """;

    @TempDir
    Path dir;

    @Test
    void loadsTheThreeFilesAndTheDescriptor() throws IOException {
        write("model.json", DESCRIPTOR);
        write("model.onnx", "x");
        write("tokenizer.json", "{}");

        ModelDirectory model = ModelDirectory.load(dir);

        assertThat(model.root()).isEqualTo(dir.toAbsolutePath().normalize());
        assertThat(model.modelFile()).isEqualTo(model.root().resolve("model.onnx"));
        assertThat(model.tokenizerFile()).isEqualTo(model.root().resolve("tokenizer.json"));
        assertThat(model.descriptor()).isEqualTo(
                new ModelDescriptor("tiny", "tiny-1", 8, "mean", true, 16, "query: ", "", false));
    }

    @Test
    void namesTheMissingFile() throws IOException {
        write("model.json", DESCRIPTOR);
        assertThatThrownBy(() -> ModelDirectory.load(dir))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("has no model.onnx");
        write("model.onnx", "x");
        assertThatThrownBy(() -> ModelDirectory.load(dir))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("has no tokenizer.json");
        write("tokenizer.json", "{}");
        Files.delete(dir.resolve("model.json"));
        assertThatThrownBy(() -> ModelDirectory.load(dir))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("has no model.json");
    }

    @Test
    void namesAMissingDirectory() {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> ModelDirectory.load(missing))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("model directory does not exist");
    }

    @Test
    void explainsAnInvalidDescriptor() throws IOException {
        write("model.json", DESCRIPTOR.replace("\"dimension\": 8", "\"dimension\": 0"));
        write("model.onnx", "x");
        write("tokenizer.json", "{}");
        assertThatThrownBy(() -> ModelDirectory.load(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("model.json")
                .hasMessageContaining("dimension must be positive");

        write("model.json", "{ not json");
        assertThatThrownBy(() -> ModelDirectory.load(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid " + dir.toAbsolutePath().normalize().resolve("model.json"));
    }

    private void write(String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content);
    }
}
