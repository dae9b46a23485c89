package dev.embedloop.encode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;
import java.util.jar.JarEntry;
import java.util.zip.CRC32;

/**
 * Finds the models bundled on the classpath under {@code models/<name>/} and turns them into
 * {@link ModelDirectory}s.
 *
 * <p>When the resource folder is a plain directory (running from {@code target/classes}) it is
 * used in place. When it is inside a jar, the three files are extracted once to
 * {@code <cacheRoot>/<name>-<key>/}, where the key is derived from the jar entries' sizes and
 * CRCs, so a new build of the jar gets a fresh directory and an unchanged one reuses the old
 * one. Extraction goes to a temporary sibling directory that is then renamed into place
 * atomically, so processes starting at the same time never see a half-written model.
 *
 * <p>The default cache root is {@code ${user.home}/.cache/embedloop/models}, overridable with the
 * system property {@value #CACHE_PROPERTY}.
 */
public final class BundledModels {

    /** The fp32 all-MiniLM-L6-v2 model. */
    public static final String MINILM = "all-minilm-l6-v2";
    /** The int8-quantised all-MiniLM-L6-v2 model (about 1.7× faster, slightly different vectors). */
    public static final String MINILM_Q = "all-minilm-l6-v2-q";
    /** The models this build bundles. */
    public static final List<String> NAMES = List.of(MINILM, MINILM_Q);
    /** System property that overrides the directory bundled models are extracted to. */
    public static final String CACHE_PROPERTY = "embedloop.model.cache";

    private static final String RESOURCE_ROOT = "models/";
    private static final List<String> FILES = List.of(
            ModelDirectory.DESCRIPTOR_FILE, ModelDirectory.TOKENIZER_FILE, ModelDirectory.MODEL_FILE);

    private final ClassLoader loader;
    private final Path cacheRoot;

    /**
     * @param loader where to look for {@code models/<name>/}
     * @param cacheRoot where to extract models found inside jars
     */
    public BundledModels(ClassLoader loader, Path cacheRoot) {
        this.loader = Objects.requireNonNull(loader, "loader");
        this.cacheRoot = Objects.requireNonNull(cacheRoot, "cacheRoot").toAbsolutePath();
    }

    /** Bundled models from this class's loader, extracted (if need be) to {@link #defaultCacheRoot()}. */
    public static BundledModels standard() {
        return new BundledModels(BundledModels.class.getClassLoader(), defaultCacheRoot());
    }

    /** {@value #CACHE_PROPERTY} if set, else {@code ${user.home}/.cache/embedloop/models}. */
    public static Path defaultCacheRoot() {
        String configured = System.getProperty(CACHE_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "embedloop", "models");
    }

    /** Shorthand for {@code standard().resolve(modelSpec)}. */
    public static ModelDirectory resolveModel(String modelSpec) throws IOException {
        return standard().resolve(modelSpec);
    }

    /**
     * A bundled model by name, or else a model directory on the file system.
     *
     * @param modelSpec a bundled model's name (see {@link #NAMES}) or a path to a model directory
     * @throws NoSuchFileException if it is neither, or the directory lacks a file
     * @throws IOException if extraction or reading {@code model.json} fails
     */
    public ModelDirectory resolve(String modelSpec) throws IOException {
        Objects.requireNonNull(modelSpec, "modelSpec");
        if (isBundled(modelSpec)) {
            return bundled(modelSpec);
        }
        Path dir = Path.of(modelSpec);
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(modelSpec, null,
                    "neither a bundled model (bundled: " + String.join(", ", NAMES)
                            + ") nor a model directory");
        }
        return ModelDirectory.load(dir);
    }

    /** Whether {@code models/<name>/model.json} is on the classpath. */
    public boolean isBundled(String name) {
        return isPlainName(name) && loader.getResource(resource(name, ModelDirectory.DESCRIPTOR_FILE)) != null;
    }

    /**
     * The bundled model {@code name}: in place when on the file system, else extracted.
     *
     * @throws NoSuchFileException if no such model is bundled or one of its files is missing
     */
    public ModelDirectory bundled(String name) throws IOException {
        if (!isBundled(name)) {
            throw new NoSuchFileException(RESOURCE_ROOT + name, null,
                    "no bundled model of that name (bundled: " + String.join(", ", NAMES) + ")");
        }
        URL descriptor = loader.getResource(resource(name, ModelDirectory.DESCRIPTOR_FILE));
        if ("file".equals(descriptor.getProtocol())) {
            try {
                return ModelDirectory.load(Path.of(descriptor.toURI()).getParent());
            } catch (URISyntaxException e) {
                throw new IOException("cannot turn " + descriptor + " into a path", e);
            }
        }
        return ModelDirectory.load(extract(name));
    }

    /** Extracts the model's files unless an identical copy is already in the cache. */
    private Path extract(String name) throws IOException {
        long[] sizes = new long[FILES.size()];
        CRC32 key = new CRC32();
        for (int i = 0; i < FILES.size(); i++) {
            URL url = loader.getResource(resource(name, FILES.get(i)));
            if (url == null) {
                throw new NoSuchFileException(resource(name, FILES.get(i)), null,
                        "bundled model " + name + " lacks " + FILES.get(i));
            }
            URLConnection conn = url.openConnection();
            long crc = -1;
            if (conn instanceof JarURLConnection jar) {
                // size and CRC come from the jar's directory: no need to read 90 MB to name the copy
                JarEntry entry = jar.getJarEntry();
                sizes[i] = entry.getSize();
                crc = entry.getCrc();
            } else {
                sizes[i] = conn.getContentLengthLong();
            }
            key.update((FILES.get(i) + ':' + sizes[i] + ':' + crc + ';').getBytes(StandardCharsets.UTF_8));
        }
        Path target = cacheRoot.resolve(name + "-" + String.format(Locale.ROOT, "%08x", key.getValue()));
        if (isComplete(target, sizes)) {
            return target;
        }
        Files.createDirectories(cacheRoot);
        Path tmp = Files.createTempDirectory(cacheRoot, "." + name + "-extracting-");
        try {
            for (String file : FILES) {
                try (InputStream in = loader.getResourceAsStream(resource(name, file))) {
                    if (in == null) {
                        throw new NoSuchFileException(resource(name, file));
                    }
                    Files.copy(in, tmp.resolve(file));
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileSystemException e) {
                // another process renamed its copy into place first; theirs is as good as ours
                if (!isComplete(target, sizes)) {
                    throw new IOException("cannot move extracted model to " + target
                            + "; if it is damaged, delete it: " + e.getMessage(), e);
                }
            }
            return target;
        } finally {
            deleteRecursively(tmp);
        }
    }

    private static boolean isComplete(Path dir, long[] sizes) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        for (int i = 0; i < FILES.size(); i++) {
            Path file = dir.resolve(FILES.get(i));
            if (!Files.isRegularFile(file) || (sizes[i] >= 0 && Files.size(file) != sizes[i])) {
                return false;
            }
        }
        return true;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static boolean isPlainName(String name) {
        return !name.isEmpty() && name.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.')
                && !name.startsWith(".");
    }

    private static String resource(String name, String file) {
        return RESOURCE_ROOT + name + "/" + file;
    }
}
