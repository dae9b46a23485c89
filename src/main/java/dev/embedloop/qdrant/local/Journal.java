package dev.embedloop.qdrant.local;

import com.google.protobuf.MessageLite;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead log that makes a LocalQdrant with a data directory durable.
 *
 * <p>One append-only file, {@value #FILE}, holds every applied change in order as a length-prefixed,
 * CRC-checked record: {@code int length, int crc32, byte kind, long aux, protobuf bytes}, after an 8-byte magic.
 * The protobuf is one of Qdrant's own request messages carrying the <em>effect</em> of an operation rather than
 * the request as sent: ids already resolved from filters, UUIDs canonical, cosine vectors already normalised.
 * Replaying therefore needs no validation and is deterministic, and {@code aux} carries the operation id so
 * point versions and operation ids survive a restart.
 *
 * <p>A change is appended (and, for {@code wait=true}, forced to disk) before it is applied and acknowledged.
 * A crash can only leave a torn record at the end of the file, which is dropped on reading: it was never
 * acknowledged as durable. Damage anywhere else is no crash artefact; the intact records before it are loaded
 * and the damaged file is kept beside the new one rather than compacted away. On every start the state is
 * replayed and written out again as a compact snapshot into a temporary file that atomically replaces the log,
 * which also drops whatever deleted collections and overwritten points had accumulated.
 */
final class Journal implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

    static final String FILE = "journal.wal";
    private static final String TEMP = "journal.wal.tmp";
    private static final byte[] MAGIC = "EQLWAL01".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 4 + 4;
    private static final int PREFIX = 1 + 8;
    private static final int MAX_RECORD = 512 * 1024 * 1024;

    /** What a record holds; the code is stored in the file, so never renumber. */
    enum Kind {
        CREATE_COLLECTION(1),
        DELETE_COLLECTION(2),
        CHANGE_ALIASES(3),
        UPDATE_COLLECTION(4),
        UPSERT(10),
        DELETE_POINTS(11),
        SET_PAYLOAD(12),
        OVERWRITE_PAYLOAD(13),
        DELETE_PAYLOAD(14),
        CLEAR_PAYLOAD(15),
        UPDATE_VECTORS(16),
        DELETE_VECTORS(17),
        CREATE_INDEX(18),
        DELETE_INDEX(19),
        /** Snapshot only: the next operation id of a collection, in {@code aux}. */
        NEXT_OPERATION(20),
        CREATE_VECTOR_NAME(21),
        DELETE_VECTOR_NAME(22);

        final byte code;

        Kind(int code) {
            this.code = (byte) code;
        }

        static Kind of(byte code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new IllegalStateException("unknown journal record kind " + code);
        }
    }

    /** One record: its kind, auxiliary number (operation id or version) and protobuf body. */
    record Entry(Kind kind, long aux, byte[] body) {

        static Entry of(Kind kind, long aux, MessageLite body) {
            return new Entry(kind, aux, body.toByteArray());
        }
    }

    private final Path dir;
    private final FileChannel channel;
    private boolean broken;

    private Journal(Path dir, FileChannel channel) {
        this.dir = dir;
        this.channel = channel;
    }

    /** The intact records of a log, and whether something after them had to be ignored. */
    record Contents(List<Entry> entries, Damage damage, long validBytes) {
    }

    /** What, if anything, follows the last intact record. */
    enum Damage {
        /** Nothing: the log ends cleanly. */
        NONE,
        /** A record cut short by a crash while it was appended, never acknowledged as durable. */
        TORN_TAIL,
        /** A damaged record with more data after it: not a crash artefact, the file was corrupted. */
        CORRUPT
    }

    /**
     * Reads every intact record of the log in {@code dir}, in order; an absent log reads as empty.
     *
     * @throws IOException when the file cannot be read or is not a journal at all
     */
    static Contents read(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(TEMP)); // a compaction that never finished; the log itself is intact
        return readFile(dir.resolve(FILE));
    }

    /** Reads every intact record of a journal-format file (the log, or a snapshot); absent reads as empty. */
    static Contents readFile(Path file) throws IOException {
        List<Entry> entries = new ArrayList<>();
        if (!Files.exists(file)) {
            return new Contents(entries, Damage.NONE, 0);
        }
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            if (size < MAGIC.length) {
                return new Contents(entries, Damage.TORN_TAIL, 0); // crashed while creating the file
            }
            ByteBuffer magic = readAt(in, 0, MAGIC.length);
            if (!Arrays.equals(magic.array(), MAGIC)) {
                throw new IOException(file + " is not a LocalQdrant journal");
            }
            long position = MAGIC.length;
            while (position < size) {
                Entry entry = size - position < HEADER ? null : readRecord(in, position, size);
                if (entry == null) {
                    boolean tail = zeroesOrShort(in, position, size);
                    return new Contents(entries, tail ? Damage.TORN_TAIL : Damage.CORRUPT, position);
                }
                entries.add(entry);
                position += HEADER + PREFIX + entry.body().length;
            }
            return new Contents(entries, Damage.NONE, position);
        }
    }

    /** The record at {@code position}, or {@code null} when it is cut short or fails its checksum. */
    private static Entry readRecord(FileChannel in, long position, long size) throws IOException {
        ByteBuffer header = readAt(in, position, HEADER);
        int length = header.getInt();
        int crc = header.getInt();
        if (length < PREFIX || length > MAX_RECORD || position + HEADER + length > size) {
            return null;
        }
        ByteBuffer record = readAt(in, position + HEADER, length);
        CRC32 check = new CRC32();
        check.update(record.array());
        if ((int) check.getValue() != crc) {
            return null;
        }
        Kind kind = Kind.of(record.get());
        long aux = record.getLong();
        return new Entry(kind, aux, Arrays.copyOfRange(record.array(), PREFIX, length));
    }

    /**
     * Whether the bytes from a bad record on look like an interrupted append: the record runs past the end of
     * the file, or the rest is the zero fill some file systems leave after a crash.
     */
    private static boolean zeroesOrShort(FileChannel in, long position, long size) throws IOException {
        if (size - position < HEADER) {
            return true;
        }
        int length = readAt(in, position, HEADER).getInt();
        if (length >= PREFIX && length <= MAX_RECORD && position + HEADER + length >= size) {
            return true; // the last record, damaged: it was being written when the process died
        }
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16);
        for (long p = position; p < size; ) {
            chunk.clear();
            int n = in.read(chunk, p);
            if (n < 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                if (chunk.get(i) != 0) {
                    return false;
                }
            }
            p += n;
        }
        return true;
    }

    private static ByteBuffer readAt(FileChannel in, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (in.read(buffer, position + buffer.position()) < 0) {
                throw new EOFException("unexpected end of journal");
            }
        }
        buffer.flip();
        return buffer;
    }

    /** Keeps a damaged log for inspection before it is compacted away. */
    static Path preserveDamaged(Path dir) throws IOException {
        Path copy = dir.resolve(FILE + ".damaged-" + System.currentTimeMillis());
        Files.copy(dir.resolve(FILE), copy);
        return copy;
    }

    /**
     * Replaces the log in {@code dir} with {@code snapshot} (crash-safe: a temporary file is written, forced and
     * atomically renamed) and opens it for appending.
     */
    static Journal rewrite(Path dir, List<Entry> snapshot) throws IOException {
        Path file = dir.resolve(FILE);
        writeFile(file, dir.resolve(TEMP), snapshot);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        return new Journal(dir, channel);
    }

    /**
     * Writes {@code entries} as a complete journal-format file, crash-safe: {@code temp} is written, forced and
     * atomically renamed to {@code file}. Also how snapshots are written.
     */
    static void writeFile(Path file, Path temp, List<Entry> entries) throws IOException {
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, ByteBuffer.wrap(MAGIC));
            for (Entry e : entries) {
                writeFully(out, frame(e.kind(), e.aux(), e.body()));
            }
            out.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(file.getParent());
    }

    /** Appends already framed records (a recovered collection), forced to disk. */
    synchronized void appendAll(List<Entry> entries) {
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            appendBytes(e.kind(), e.aux(), e.body(), i == entries.size() - 1);
        }
    }

    /**
     * Appends one record; with {@code sync} it is on disk when this returns. A failed append is rolled back so
     * the file never keeps a torn record in front of later ones.
     *
     * @throws io.grpc.StatusRuntimeException {@code INTERNAL} when the record could not be written
     */
    synchronized void append(Kind kind, long aux, MessageLite body, boolean sync) {
        appendBytes(kind, aux, body.toByteArray(), sync);
    }

    private synchronized void appendBytes(Kind kind, long aux, byte[] body, boolean sync) {
        if (broken) {
            throw QdrantErrors.internal("the journal in " + dir + " failed earlier; restart LocalQdrant");
        }
        long before = -1;
        try {
            before = channel.size();
            writeFully(channel, frame(kind, aux, body));
            if (sync) {
                channel.force(false);
            }
        } catch (IOException e) {
            try {
                if (before >= 0) {
                    channel.truncate(before);
                }
            } catch (IOException again) {
                broken = true; // the tail may be torn: refuse further writes instead of burying it
                e.addSuppressed(again);
            }
            LOG.error("could not write the journal in {}", dir, e);
            throw QdrantErrors.internal("could not write the journal: " + e.getMessage());
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            channel.force(false);
        } finally {
            channel.close();
        }
    }

    private static ByteBuffer frame(Kind kind, long aux, byte[] body) {
        int length = PREFIX + body.length;
        ByteBuffer record = ByteBuffer.allocate(length);
        record.put(kind.code).putLong(aux).put(body);
        CRC32 crc = new CRC32();
        crc.update(record.array());
        ByteBuffer framed = ByteBuffer.allocate(HEADER + length);
        framed.putInt(length).putInt((int) crc.getValue()).put(record.array()).flip();
        return framed;
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Makes the rename itself durable; not every platform can open a directory, which is then best effort. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("could not force directory {}: {}", dir, e.toString());
        }
    }
}
