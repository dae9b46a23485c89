package dev.embedloop.qdrant.local;

import com.google.protobuf.Timestamp;
import io.qdrant.client.grpc.SnapshotsService.SnapshotDescription;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Snapshot files, laid out like Qdrant's {@code snapshots} directory: a collection's snapshots in
 * {@code <root>/<collection>/<collection>-<peer>-<yyyy-MM-dd-HH-mm-ss>.snapshot}, full snapshots in
 * {@code <root>/full-snapshot-<yyyy-MM-dd-HH-mm-ss>.snapshot}, each with a {@code .checksum} file holding its
 * SHA-256. A snapshot holds the records that recreate what it covers, in the journal's format; as in Qdrant,
 * two snapshots of the same collection within one second share a name and the later one replaces the other.
 */
final class SnapshotStore {

    static final String FULL_PREFIX = "full-snapshot";
    private static final String SUFFIX = ".snapshot";
    private static final String CHECKSUM = ".checksum";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd-HH-mm-ss");

    private final Path root;

    SnapshotStore(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    SnapshotDescription createCollection(String collection, long peerId, List<Journal.Entry> entries) {
        String name = collection + "-" + peerId + "-" + ZonedDateTime.now(ZoneOffset.UTC).format(STAMP) + SUFFIX;
        return write(root.resolve(collection), name, entries);
    }

    SnapshotDescription createFull(List<Journal.Entry> entries) {
        String name = FULL_PREFIX + "-" + ZonedDateTime.now(ZoneOffset.UTC).format(STAMP) + SUFFIX;
        return write(root, name, entries);
    }

    List<SnapshotDescription> listCollection(String collection) {
        return list(root.resolve(collection));
    }

    List<SnapshotDescription> listFull() {
        return list(root);
    }

    void deleteCollection(String collection, String name) {
        delete(root.resolve(collection), name);
    }

    void deleteFull(String name) {
        delete(root, name);
    }

    /** The file of a collection snapshot, for recovery; fails like a delete when there is none. */
    Path collectionFile(String collection, String name) {
        return file(root.resolve(collection), name);
    }

    private SnapshotDescription write(Path dir, String name, List<Journal.Entry> entries) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(name);
            Journal.writeFile(file, dir.resolve(name + ".tmp"), entries);
            String checksum = sha256(file);
            Files.writeString(dir.resolve(name + CHECKSUM), checksum, StandardCharsets.US_ASCII);
            return describe(file, checksum);
        } catch (IOException e) {
            throw QdrantErrors.internal("could not write snapshot " + name + ": " + e.getMessage());
        }
    }

    private static List<SnapshotDescription> list(Path dir) {
        List<SnapshotDescription> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path file : files) {
                Path checksumFile = file.resolveSibling(file.getFileName() + CHECKSUM);
                String checksum = Files.exists(checksumFile)
                        ? Files.readString(checksumFile, StandardCharsets.US_ASCII).trim() : null;
                out.add(describe(file, checksum));
            }
        } catch (IOException e) {
            throw QdrantErrors.internal("could not list snapshots: " + e.getMessage());
        }
        out.sort((a, b) -> a.getName().compareTo(b.getName()));
        return out;
    }

    private static void delete(Path dir, String name) {
        Path file = file(dir, name);
        try {
            Files.delete(file);
            Files.deleteIfExists(file.resolveSibling(name + CHECKSUM));
        } catch (NoSuchFileException e) {
            throw QdrantErrors.notFound("Snapshot \"" + file + "\" not found");
        } catch (IOException e) {
            throw QdrantErrors.internal("could not delete snapshot " + name + ": " + e.getMessage());
        }
    }

    /** A snapshot's file; a name that is a path, not a plain file name, is not found (as in Qdrant). */
    private static Path file(Path dir, String name) {
        Path plain = Path.of(name).getFileName();
        if (name.isEmpty() || plain == null || !plain.toString().equals(name) || name.equals("..")
                || name.equals(".")) {
            throw QdrantErrors.notFound("Snapshot " + name + " not found");
        }
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw QdrantErrors.notFound("Snapshot \"" + file + "\" not found");
        }
        return file;
    }

    private static SnapshotDescription describe(Path file, String checksum) throws IOException {
        FileTime modified = Files.getLastModifiedTime(file);
        SnapshotDescription.Builder d = SnapshotDescription.newBuilder()
                .setName(file.getFileName().toString())
                .setSize(Files.size(file))
                .setCreationTime(Timestamp.newBuilder().setSeconds(modified.toInstant().getEpochSecond())
                        .setNanos(modified.toInstant().getNano()));
        if (checksum != null) {
            d.setChecksum(checksum);
        }
        return d.build();
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }
}
