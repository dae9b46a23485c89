package dev.embedloop.train;

import dev.embedloop.encode.TextEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base-model embeddings of texts, computed once: the trainer retrains on the same queries and
 * documents over and over, and the transformer is by far the most expensive step.
 *
 * <p>In: texts with their role (query or document). Out: the base encoder's vectors, the cached
 * ones as they are and the misses encoded in one batch through the {@link TextEncoder}
 * ({@link TextEncoder#encodeDocuments} for documents, {@link TextEncoder#encodeQuery} for
 * queries, so prefixes are applied as the model says). Entries are keyed by the SHA-256 of
 * (base model version, role, text), truncated to 128 bits: a new base model never sees another
 * model's vectors, and the key says nothing readable about the text.
 *
 * <p><b>File</b> ({@code <dir>/embeddings-<base version>.bin}, append-only, little-endian):
 * <pre>
 *   header   magic "ELEC", int32 format version (1), int32 d
 *   record   16-byte key, float32[d] vector, int32 CRC-32 of key and vector
 * </pre>
 * Loading keeps every complete record whose checksum matches and cuts the file after the last
 * good one, so a crash in the middle of an append costs only that record. A file whose header
 * does not match (another dimension, a foreign file) is replaced: a cache can always be rebuilt.
 *
 * <p>Thread-safe. Returned arrays are shared with the cache and must not be modified (the
 * {@link TrainingTriple}s built from them hold them by reference too).
 */
public final class EmbeddingCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingCache.class);

    static final int MAGIC = 0x43454C45; // "ELEC" read as a little-endian int
    static final int FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 12;
    static final int KEY_BYTES = 16;
    /** Misses are encoded and appended in slices of this many, so a long first pass keeps its progress. */
    private static final int ENCODE_SLICE = 64;

    /** The role of a text: the encoder treats queries and documents differently (prefixes). */
    public enum Role {
        QUERY, DOCUMENT
    }

    /**
     * Counters since the cache was opened.
     *
     * @param entries vectors held (loaded plus encoded)
     * @param loaded vectors read from the file at start
     * @param hits lookups answered from the cache
     * @param encoded texts the encoder had to run on
     */
    public record Stats(long entries, long loaded, long hits, long encoded) {
        @Override
        public String toString() {
            return "entries=" + entries + " loaded=" + loaded + " hits=" + hits + " encoded=" + encoded;
        }
    }

    private record Key(long hi, long lo) {}

    private final TextEncoder encoder;
    private final String baseVersion;
    private final int dim;
    private final Path file;
    private final FileChannel channel;
    private final Map<Key, float[]> vectors = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    private final long loaded;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong encoded = new AtomicLong();

    private EmbeddingCache(TextEncoder encoder, Path file) throws IOException {
        this.encoder = Objects.requireNonNull(encoder, "encoder");
        this.baseVersion = encoder.model().version();
        this.dim = encoder.model().dimension();
        this.file = file;
        this.channel = file == null ? null : openAndLoad(file);
        this.loaded = vectors.size();
    }

    /**
     * Opens (or creates) the cache file of {@code encoder}'s model under {@code dir} and loads it.
     *
     * @param encoder the frozen base encoder; its model version and dimension key the cache
     */
    public static EmbeddingCache open(Path dir, TextEncoder encoder) throws IOException {
        Files.createDirectories(dir);
        String name = "embeddings-" + encoder.model().version().replaceAll("[^A-Za-z0-9._-]", "_") + ".bin";
        EmbeddingCache cache = new EmbeddingCache(encoder, dir.resolve(name));
        LOG.info("embedding cache {}: {} vectors loaded", cache.file, cache.loaded);
        return cache;
    }

    /** A cache without a file (tests, one-off runs). */
    public static EmbeddingCache inMemory(TextEncoder encoder) {
        try {
            return new EmbeddingCache(encoder, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // no file, no I/O
        }
    }

    public String baseVersion() {
        return baseVersion;
    }

    public int dim() {
        return dim;
    }

    /** The backing file, or null for an in-memory cache. */
    public Path file() {
        return file;
    }

    public Stats stats() {
        return new Stats(vectors.size(), loaded, hits.get(), encoded.get());
    }

    /** The base embedding of one query. */
    public float[] query(String text) {
        return lookup(Role.QUERY, List.of(text)).get(0);
    }

    /** Base embeddings of queries, in order; only the misses are encoded. */
    public List<float[]> queries(List<String> texts) {
        return lookup(Role.QUERY, texts);
    }

    /** Base embeddings of documents, in order; the misses are encoded in batches. */
    public List<float[]> documents(List<String> texts) {
        return lookup(Role.DOCUMENT, texts);
    }

    /** Whether the vector of {@code text} in {@code role} is cached (a lookup that does not encode). */
    public boolean contains(Role role, String text) {
        return vectors.containsKey(key(role, text));
    }

    private List<float[]> lookup(Role role, List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        List<Key> keys = new ArrayList<>(texts.size());
        // the same text twice in one call is encoded once
        Map<Key, String> misses = new LinkedHashMap<>();
        for (String text : texts) {
            Key k = key(role, Objects.requireNonNull(text, "text"));
            keys.add(k);
            if (!vectors.containsKey(k)) {
                misses.putIfAbsent(k, text);
            }
        }
        hits.addAndGet(texts.size() - misses.size());
        if (!misses.isEmpty()) {
            encodeMisses(role, misses);
        }
        List<float[]> out = new ArrayList<>(keys.size());
        for (Key k : keys) {
            out.add(vectors.get(k));
        }
        return out;
    }

    private void encodeMisses(Role role, Map<Key, String> misses) {
        List<Key> keys = new ArrayList<>(misses.keySet());
        List<String> texts = new ArrayList<>(misses.values());
        for (int from = 0; from < keys.size(); from += ENCODE_SLICE) {
            int to = Math.min(keys.size(), from + ENCODE_SLICE);
            List<String> slice = texts.subList(from, to);
            List<float[]> vs;
            if (role == Role.DOCUMENT) {
                vs = encoder.encodeDocuments(slice);
            } else {
                vs = new ArrayList<>(slice.size());
                for (String t : slice) {
                    vs.add(encoder.encodeQuery(t));
                }
            }
            if (vs.size() != slice.size()) {
                throw new IllegalStateException("encoder returned " + vs.size() + " vectors for " + slice.size() + " texts");
            }
            encoded.addAndGet(slice.size());
            List<Map.Entry<Key, float[]>> fresh = new ArrayList<>();
            synchronized (writeLock) {
                for (int i = 0; i < slice.size(); i++) {
                    float[] v = vs.get(i);
                    if (v.length != dim) {
                        throw new IllegalStateException("encoder returned dimension " + v.length + ", model says " + dim);
                    }
                    // another thread may have encoded the same text meanwhile: keep one record
                    if (vectors.putIfAbsent(keys.get(from + i), v) == null) {
                        fresh.add(Map.entry(keys.get(from + i), v));
                    }
                }
                append(fresh);
            }
        }
    }

    private Key key(Role role, String text) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        sha.update(baseVersion.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update((byte) role.ordinal());
        sha.update((byte) 0);
        byte[] h = sha.digest(text.getBytes(StandardCharsets.UTF_8));
        ByteBuffer b = ByteBuffer.wrap(h);
        return new Key(b.getLong(), b.getLong());
    }

    private int recordBytes() {
        return KEY_BYTES + dim * Float.BYTES + Integer.BYTES;
    }

    private void append(List<Map.Entry<Key, float[]>> entries) {
        if (channel == null || entries.isEmpty()) {
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate(entries.size() * recordBytes()).order(ByteOrder.LITTLE_ENDIAN);
        CRC32 crc = new CRC32();
        for (Map.Entry<Key, float[]> e : entries) {
            int start = buf.position();
            buf.putLong(e.getKey().hi()).putLong(e.getKey().lo());
            for (float f : e.getValue()) {
                buf.putFloat(f);
            }
            crc.reset();
            crc.update(buf.array(), start, buf.position() - start);
            buf.putInt((int) crc.getValue());
        }
        buf.flip();
        try {
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        } catch (IOException e) {
            // the vectors are in memory; only the persistence is lost
            LOG.warn("could not append to embedding cache {}: {}", file, e.toString());
        }
    }

    private FileChannel openAndLoad(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            long size = ch.size();
            long good = readRecords(ch, size);
            if (good < 0) {
                if (size > 0) {
                    LOG.warn("embedding cache {} has a foreign header; starting it afresh", path);
                }
                ch.truncate(0);
                ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                header.putInt(MAGIC).putInt(FORMAT_VERSION).putInt(dim).flip();
                ch.write(header, 0);
                good = HEADER_BYTES;
            } else if (good < size) {
                LOG.warn("embedding cache {}: dropping {} bytes of an incomplete or damaged tail", path, size - good);
                ch.truncate(good);
            }
            ch.position(good);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Loads every good record; returns where the good part ends, or -1 when the header does not fit. */
    private long readRecords(FileChannel ch, long size) throws IOException {
        if (size < HEADER_BYTES) {
            return -1;
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, header, 0);
        header.flip();
        if (header.getInt() != MAGIC || header.getInt() != FORMAT_VERSION || header.getInt() != dim) {
            return -1;
        }
        int rec = recordBytes();
        long pos = HEADER_BYTES;
        ByteBuffer chunk = ByteBuffer.allocate(rec * 256).order(ByteOrder.LITTLE_ENDIAN);
        CRC32 crc = new CRC32();
        while (size - pos >= rec) {
            int n = (int) Math.min(256, (size - pos) / rec);
            chunk.clear().limit(n * rec);
            readFully(ch, chunk, pos);
            chunk.flip();
            for (int i = 0; i < n; i++) {
                int start = i * rec;
                crc.reset();
                crc.update(chunk.array(), start, rec - Integer.BYTES);
                if ((int) crc.getValue() != chunk.getInt(start + rec - Integer.BYTES)) {
                    return pos + start;
                }
                Key k = new Key(chunk.getLong(start), chunk.getLong(start + Long.BYTES));
                float[] v = new float[dim];
                for (int j = 0; j < dim; j++) {
                    v[j] = chunk.getFloat(start + KEY_BYTES + j * Float.BYTES);
                }
                vectors.putIfAbsent(k, v);
            }
            pos += (long) n * rec;
        }
        return pos;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long p = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, p);
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
            p += r;
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            synchronized (writeLock) {
                try {
                    channel.close();
                } catch (IOException e) {
                    LOG.warn("closing embedding cache {}: {}", file, e.toString());
                }
            }
        }
    }
}
