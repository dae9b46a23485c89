package dev.embedloop.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundledModelsTest {

    @TempDir
    Path tmp;

    @Test
    void bundledModelsOnTheFileSystemAreUsedInPlace() throws IOException {
        BundledModels models = new BundledModels(getClass().getClassLoader(), tmp.resolve("cache"));
        for (String name : BundledModels.NAMES) {
            ModelDirectory dir = models.resolve(name);
            assertThat(dir.root()).endsWith(Path.of("models", name));
            assertThat(dir.descriptor().name()).isEqualTo(name);
            assertThat(dir.descriptor().dimension()).isEqualTo(384);
            assertThat(dir.descriptor().maxTokens()).isEqualTo(256);
        }
        assertThat(tmp.resolve("cache")).doesNotExist();
    }

    @Test
    void aPathResolvesToThatDirectory() throws IOException {
        Path fp32 = BundledModels.standard().bundled(BundledModels.MINILM).root();
        assertThat(BundledModels.resolveModel(fp32.toString()).root()).isEqualTo(fp32);
    }

    @Test
    void anUnknownSpecNamesTheBundledModels() {
        assertThatThrownBy(() -> BundledModels.resolveModel("no-such-model"))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("no-such-model")
                .hasMessageContaining("neither a bundled model")
                .hasMessageContaining(BundledModels.MINILM);
        assertThatThrownBy(() -> BundledModels.resolveModel(tmp.resolve("missing").toString()))
                .isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> BundledModels.standard().bundled("../models"))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void modelsInsideAJarAreExtractedOnceToTheCache() throws Exception {
        Path jar = jarWithModel("tiny");
        Path cache = tmp.resolve("cache");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            BundledModels models = new BundledModels(loader, cache);
            ModelDirectory first = models.resolve("tiny");

            assertThat(first.root().getParent()).isEqualTo(cache.toAbsolutePath());
            assertThat(first.root().getFileName().toString()).matches("tiny-[0-9a-f]{8}");
            assertThat(Files.readString(first.modelFile())).isEqualTo("onnx bytes");
            assertThat(Files.readString(first.tokenizerFile())).isEqualTo("{\"tokenizer\": true}");
            assertThat(first.descriptor().name()).isEqualTo("tiny");

            // a second start finds the copy and leaves it alone
            FileTime marker = FileTime.fromMillis(1_000_000_000L);
            Files.setLastModifiedTime(first.modelFile(), marker);
            ModelDirectory second = new BundledModels(loader, cache).resolve("tiny");
            assertThat(second.root()).isEqualTo(first.root());
            assertThat(Files.getLastModifiedTime(second.modelFile())).isEqualTo(marker);
            assertThat(children(cache)).containsExactly(first.root().getFileName().toString());
        }
    }

    @Test
    void concurrentStartsShareOneExtractedCopy() throws Exception {
        Path jar = jarWithModel("tiny");
        Path cache = tmp.resolve("cache");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            List<Callable<Path>> starts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                starts.add(() -> new BundledModels(loader, cache).resolve("tiny").root());
            }
            List<Path> roots = new ArrayList<>();
            for (Future<Path> f : pool.invokeAll(starts)) {
                roots.add(f.get());
            }
            assertThat(roots).containsOnly(roots.get(0));
            // no temporary directories are left behind by the losers of the race
            assertThat(children(cache)).containsExactly(roots.get(0).getFileName().toString());
            assertThat(Files.readString(roots.get(0).resolve("model.onnx"))).isEqualTo("onnx bytes");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aChangedJarGetsAFreshDirectory() throws Exception {
        Path cache = tmp.resolve("cache");
        Path a;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jarWithModel("tiny").toUri().toURL()}, null)) {
            a = new BundledModels(loader, cache).resolve("tiny").root();
        }
        Path otherJar = tmp.resolve("other.jar");
        writeJar(otherJar, Map.of(
                "models/tiny/model.json", ModelDirectoryTest.DESCRIPTOR,
                "models/tiny/model.onnx", "other onnx bytes",
                "models/tiny/tokenizer.json", "{\"tokenizer\": true}"));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {otherJar.toUri().toURL()}, null)) {
            Path b = new BundledModels(loader, cache).resolve("tiny").root();
            assertThat(b).isNotEqualTo(a);
            assertThat(Files.readString(b.resolve("model.onnx"))).isEqualTo("other onnx bytes");
        }
    }

    private Path jarWithModel(String name) throws IOException {
        Path jar = tmp.resolve(name + ".jar");
        writeJar(jar, Map.of(
                "models/" + name + "/model.json", ModelDirectoryTest.DESCRIPTOR.replace("tiny", name),
                "models/" + name + "/model.onnx", "onnx bytes",
                "models/" + name + "/tokenizer.json", "{\"tokenizer\": true}"));
        return jar;
    }

    private static void writeJar(Path jar, Map<String, String> entries) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                j.putNextEntry(new JarEntry(e.getKey()));
                j.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                j.closeEntry();
            }
        }
    }

    private static List<String> children(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
