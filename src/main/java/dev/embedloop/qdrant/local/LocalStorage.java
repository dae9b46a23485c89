package dev.embedloop.qdrant.local;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.MessageLite;
import io.qdrant.client.grpc.Collections.AliasDescription;
import io.qdrant.client.grpc.Collections.AliasOperations;
import io.qdrant.client.grpc.Collections.ChangeAliases;
import io.qdrant.client.grpc.Collections.CreateAlias;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.DeleteCollection;
import io.qdrant.client.grpc.Collections.UpdateCollection;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog of a LocalQdrant: collections by name, aliases, and (with a data directory) the journal.
 *
 * <p>Collection-level changes (create, delete, update, aliases) take the catalog write lock; point operations
 * take its read lock for as long as they run, so a collection cannot be deleted, or an alias moved, under a
 * request that already resolved it. That also orders the journal: a collection's records always sit between
 * its creation and its deletion.
 *
 * <p>Names are resolved like Qdrant's {@code resolve_name}: an alias first, then a collection of that name.
 */
final class LocalStorage implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalStorage.class);
    private static final String LOCK_FILE = "lock";
    /** Field 1, length-delimited: {@code (1 << 3) | WIRETYPE_LENGTH_DELIMITED}. */
    private static final int COLLECTION_NAME_TAG = (1 << 3) | 2;

    private final Path dataDir;
    private final ReentrantReadWriteLock catalogLock = new ReentrantReadWriteLock();
    private final Map<String, LocalCollection> collections = new HashMap<>();
    private final Map<String, String> aliases = new HashMap<>();
    private Journal journal;
    private FileChannel lockChannel;
    private FileLock fileLock;

    private LocalStorage(Path dataDir) {
        this.dataDir = dataDir;
    }

    /** Storage that lives and dies with the process. */
    static LocalStorage inMemory() {
        return new LocalStorage(null);
    }

    /**
     * Opens (or creates) the storage in {@code dir}: replays the journal, writes it back compacted and keeps
     * appending to it. The directory is locked against a second LocalQdrant using it at the same time.
     */
    static LocalStorage open(Path dir) throws IOException {
        Files.createDirectories(dir);
        LocalStorage storage = new LocalStorage(dir);
        storage.lock(dir);
        try {
            long started = System.nanoTime();
            Journal.Contents contents = Journal.read(dir);
            switch (contents.damage()) {
                case TORN_TAIL -> LOG.warn("the journal in {} ends with a record cut short by a crash at offset {};"
                        + " it was never acknowledged as durable and is dropped", dir, contents.validBytes());
                case CORRUPT -> LOG.error("the journal in {} is damaged at offset {}; later records are lost."
                        + " The damaged file is kept as {}", dir, contents.validBytes(), Journal.preserveDamaged(dir));
                default -> {
                }
            }
            for (Journal.Entry entry : contents.entries()) {
                storage.replay(entry);
            }
            List<Journal.Entry> snapshot = storage.snapshot();
            storage.journal = Journal.rewrite(dir, snapshot);
            long points = 0;
            for (LocalCollection c : storage.collections.values()) {
                c.attach(storage.journal);
                points += c.pointCount();
            }
            LOG.info("loaded {} collections ({} points, {} aliases) from {} in {} ms; journal compacted from {} to {}"
                            + " records", storage.collections.size(), points, storage.aliases.size(), dir,
                    (System.nanoTime() - started) / 1_000_000, contents.entries().size(), snapshot.size());
            return storage;
        } catch (IOException | RuntimeException e) {
            storage.close();
            throw e;
        }
    }

    private void lock(Path dir) throws IOException {
        lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            fileLock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            fileLock = null;
        }
        if (fileLock == null) {
            lockChannel.close();
            throw new IOException("the data directory " + dir + " is in use by another LocalQdrant");
        }
    }

    // ------------------------------------------------------------------------------------- catalog

    /** Creates a collection; fails like Qdrant when the name is taken by a collection or an alias. */
    void createCollection(CreateCollection request) {
        String name = request.getCollectionName();
        if (name.isEmpty() || name.length() > 255) {
            throw QdrantErrors.validation("collection_name", "length must be between 1 and 255");
        }
        LocalCollection collection = LocalCollection.create(request);
        catalogLock.writeLock().lock();
        try {
            if (collections.containsKey(name)) {
                throw QdrantErrors.alreadyExists("Collection `" + name + "` already exists!");
            }
            if (aliases.containsKey(name)) {
                throw QdrantErrors.badInput("Can't create collection with name " + name
                        + ". Alias with the same name already exists");
            }
            append(Journal.Kind.CREATE_COLLECTION, request);
            collections.put(name, collection);
            collection.attach(journal);
        } finally {
            catalogLock.writeLock().unlock();
        }
        LOG.info("created collection {}", name);
    }

    /**
     * Deletes a collection and every alias pointing at it.
     *
     * @return whether it existed; like Qdrant, deleting a missing collection is not an error, and the name is
     *         not resolved as an alias
     */
    boolean deleteCollection(String name) {
        catalogLock.writeLock().lock();
        try {
            if (!collections.containsKey(name)) {
                return false;
            }
            append(Journal.Kind.DELETE_COLLECTION, DeleteCollection.newBuilder().setCollectionName(name).build());
            applyDelete(name);
        } finally {
            catalogLock.writeLock().unlock();
        }
        LOG.info("deleted collection {}", name);
        return true;
    }

    void updateCollection(UpdateCollection request) {
        catalogLock.writeLock().lock();
        try {
            resolve(request.getCollectionName()).update(request);
        } finally {
            catalogLock.writeLock().unlock();
        }
    }

    /**
     * Applies alias actions in order, as one step for every reader (no request sees half of them).
     *
     * <p>Like Qdrant's {@code update_aliases}: creating an alias needs an existing collection (not an alias) and a
     * name no collection has, and silently re-points an existing alias; deleting a missing alias is fine;
     * renaming needs the old alias. An action that fails stops the call, and, as in Qdrant, the actions before
     * it stay applied.
     */
    void updateAliases(ChangeAliases request) {
        catalogLock.writeLock().lock();
        try {
            Map<String, String> updated = new HashMap<>(aliases);
            ChangeAliases.Builder applied = ChangeAliases.newBuilder();
            RuntimeException failure = null;
            for (AliasOperations action : request.getActionsList()) {
                try {
                    applyAlias(updated, action, true);
                    applied.addActions(action);
                } catch (RuntimeException e) {
                    failure = e;
                    break;
                }
            }
            if (applied.getActionsCount() > 0) {
                append(Journal.Kind.CHANGE_ALIASES, applied.build());
                aliases.clear();
                aliases.putAll(updated);
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            catalogLock.writeLock().unlock();
        }
    }

    private void applyAlias(Map<String, String> target, AliasOperations action, boolean validate) {
        switch (action.getActionCase()) {
            case CREATE_ALIAS -> {
                CreateAlias create = action.getCreateAlias();
                if (validate) {
                    if (!collections.containsKey(create.getCollectionName())) {
                        throw QdrantErrors.collectionNotFound(create.getCollectionName());
                    }
                    if (collections.containsKey(create.getAliasName())) {
                        throw QdrantErrors.alreadyExists("Collection `" + create.getAliasName() + "` already exists!");
                    }
                }
                target.put(create.getAliasName(), create.getCollectionName());
            }
            case DELETE_ALIAS -> target.remove(action.getDeleteAlias().getAliasName());
            case RENAME_ALIAS -> {
                String from = action.getRenameAlias().getOldAliasName();
                String collection = target.remove(from);
                if (collection == null) {
                    throw QdrantErrors.notFound("Alias " + from + " does not exists!");
                }
                target.put(action.getRenameAlias().getNewAliasName(), collection);
            }
            default -> throw QdrantErrors.invalidArgument("Malformed AliasOperation type");
        }
    }

    /** Collection names, sorted (Qdrant's order is unspecified). Aliases are not collections. */
    List<String> listCollections() {
        catalogLock.readLock().lock();
        try {
            return collections.keySet().stream().sorted().toList();
        } finally {
            catalogLock.readLock().unlock();
        }
    }

    /** Whether {@code name} names a collection, directly or through an alias. */
    boolean exists(String name) {
        catalogLock.readLock().lock();
        try {
            return collections.containsKey(aliases.getOrDefault(name, name));
        } finally {
            catalogLock.readLock().unlock();
        }
    }

    /** All aliases, or those of one collection ({@code collection} is not resolved), sorted by alias. */
    List<AliasDescription> aliases(String collection) {
        catalogLock.readLock().lock();
        try {
            List<AliasDescription> out = new ArrayList<>();
            for (Map.Entry<String, String> e : new TreeMap<>(aliases).entrySet()) {
                if (collection == null || collection.equals(e.getValue())) {
                    out.add(AliasDescription.newBuilder().setAliasName(e.getKey()).setCollectionName(e.getValue())
                            .build());
                }
            }
            return out;
        } finally {
            catalogLock.readLock().unlock();
        }
    }

    /**
     * Runs {@code operation} on the collection {@code name} resolves to, holding the catalog read lock.
     *
     * @throws io.grpc.StatusRuntimeException {@code NOT_FOUND "Not found: Collection `name` doesn't exist!"}
     */
    <T> T withCollection(String name, Function<LocalCollection, T> operation) {
        catalogLock.readLock().lock();
        try {
            return operation.apply(resolve(name));
        } finally {
            catalogLock.readLock().unlock();
        }
    }

    private LocalCollection resolve(String name) {
        String resolved = aliases.getOrDefault(name, name);
        LocalCollection collection = collections.get(resolved);
        if (collection == null) {
            throw QdrantErrors.collectionNotFound(resolved);
        }
        return collection;
    }

    private void applyDelete(String name) {
        aliases.values().removeIf(name::equals);
        collections.remove(name);
    }

    private void append(Journal.Kind kind, MessageLite body) {
        if (journal != null) {
            journal.append(kind, 0, body, true);
        }
    }

    // ------------------------------------------------------------------------------------- snapshots

    /** The records that recreate one collection (resolved like any name), for a collection snapshot. */
    List<Journal.Entry> collectionSnapshot(String name) {
        return withCollection(name, LocalCollection::snapshot);
    }

    /** The records that recreate everything (collections and aliases), for a full snapshot. */
    List<Journal.Entry> fullSnapshot() {
        catalogLock.readLock().lock();
        try {
            return snapshot();
        } finally {
            catalogLock.readLock().unlock();
        }
    }

    /**
     * Recreates collection {@code name} from a collection snapshot, replacing a collection of that name (its
     * aliases stay), like Qdrant's snapshot recovery.
     *
     * @throws IOException when the file cannot be read, is damaged or is no collection snapshot
     */
    void recoverCollection(String name, Path snapshot) throws IOException {
        Journal.Contents contents = Journal.readFile(snapshot);
        if (contents.damage() != Journal.Damage.NONE || contents.entries().isEmpty()
                || contents.entries().get(0).kind() != Journal.Kind.CREATE_COLLECTION) {
            throw new IOException(snapshot + " is not an intact LocalQdrant collection snapshot");
        }
        List<Journal.Entry> entries = contents.entries();
        CreateCollection spec = CreateCollection.parseFrom(entries.get(0).body()).toBuilder()
                .setCollectionName(name).build();
        LocalCollection recovered = LocalCollection.create(spec);
        for (Journal.Entry entry : entries.subList(1, entries.size())) {
            if (entry.kind() == Journal.Kind.CREATE_COLLECTION || entry.kind() == Journal.Kind.CHANGE_ALIASES
                    || entry.kind() == Journal.Kind.DELETE_COLLECTION) {
                throw new IOException(snapshot + " holds more than one collection; recover a collection snapshot");
            }
            recovered.replay(entry.kind(), entry.aux(), entry.body());
        }
        catalogLock.writeLock().lock();
        try {
            if (aliases.containsKey(name)) {
                throw QdrantErrors.badInput("Can't create collection with name " + name
                        + ". Alias with the same name already exists");
            }
            if (journal != null) {
                if (collections.containsKey(name)) {
                    append(Journal.Kind.DELETE_COLLECTION, DeleteCollection.newBuilder().setCollectionName(name)
                            .build());
                }
                journal.appendAll(recovered.snapshot());
            }
            collections.put(name, recovered);
            recovered.attach(journal);
        } finally {
            catalogLock.writeLock().unlock();
        }
        LOG.info("recovered collection {} ({} points) from snapshot {}", name, recovered.pointCount(),
                snapshot.getFileName());
    }

    /**
     * Replaces everything (collections and aliases) with the contents of a full snapshot. With a data directory
     * the journal is rewritten from the recovered state in one atomic step, so a crash leaves either the old or
     * the new state.
     *
     * @throws IOException when the file cannot be read or is damaged
     */
    void recoverAll(Path snapshot) throws IOException {
        Journal.Contents contents = Journal.readFile(snapshot);
        if (contents.damage() != Journal.Damage.NONE) {
            throw new IOException(snapshot + " is not an intact LocalQdrant snapshot");
        }
        LocalStorage recovered = inMemory();
        for (Journal.Entry entry : contents.entries()) {
            recovered.replay(entry);
        }
        catalogLock.writeLock().lock();
        try {
            if (journal != null) {
                journal.close();
                journal = Journal.rewrite(dataDir, recovered.snapshot());
            }
            collections.clear();
            collections.putAll(recovered.collections);
            aliases.clear();
            aliases.putAll(recovered.aliases);
            for (LocalCollection c : collections.values()) {
                c.attach(journal);
            }
        } finally {
            catalogLock.writeLock().unlock();
        }
        LOG.info("recovered {} collections and {} aliases from snapshot {}", collections.size(), aliases.size(),
                snapshot.getFileName());
    }

    // ------------------------------------------------------------------------------- replay/snapshot

    private void replay(Journal.Entry entry) throws IOException {
        switch (entry.kind()) {
            case CREATE_COLLECTION -> {
                CreateCollection request = CreateCollection.parseFrom(entry.body());
                collections.put(request.getCollectionName(), LocalCollection.create(request));
            }
            case DELETE_COLLECTION -> applyDelete(DeleteCollection.parseFrom(entry.body()).getCollectionName());
            case CHANGE_ALIASES -> {
                for (AliasOperations action : ChangeAliases.parseFrom(entry.body()).getActionsList()) {
                    applyAlias(aliases, action, false);
                }
            }
            default -> {
                String name = collectionOf(entry.body());
                LocalCollection collection = collections.get(name);
                if (collection == null) {
                    throw new IOException("journal record " + entry.kind() + " for unknown collection " + name);
                }
                collection.replay(entry.kind(), entry.aux(), entry.body());
            }
        }
    }

    /** Every collection's records, then the aliases: what it takes to rebuild the current state. */
    private List<Journal.Entry> snapshot() {
        List<Journal.Entry> out = new ArrayList<>();
        for (LocalCollection c : new TreeMap<>(collections).values()) {
            out.addAll(c.snapshot());
        }
        if (!aliases.isEmpty()) {
            ChangeAliases.Builder all = ChangeAliases.newBuilder();
            for (Map.Entry<String, String> e : new TreeMap<>(aliases).entrySet()) {
                all.addActions(AliasOperations.newBuilder().setCreateAlias(CreateAlias.newBuilder()
                        .setAliasName(e.getKey()).setCollectionName(e.getValue())));
            }
            out.add(Journal.Entry.of(Journal.Kind.CHANGE_ALIASES, 0, all.build()));
        }
        return out;
    }

    /**
     * The {@code collection_name} of a journalled request: field 1 of every one of them. Read straight off the
     * wire so that a large upsert is not parsed twice during replay.
     */
    private static String collectionOf(byte[] body) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(body);
        while (true) {
            int tag = in.readTag();
            if (tag == 0) {
                return "";
            }
            if (tag == COLLECTION_NAME_TAG) {
                return in.readStringRequireUtf8();
            }
            in.skipField(tag);
        }
    }

    @Override
    public void close() {
        try {
            if (journal != null) {
                journal.close();
            }
        } catch (IOException e) {
            LOG.warn("could not close the journal in {}", dataDir, e);
        }
        try {
            if (fileLock != null) {
                fileLock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            LOG.warn("could not release the lock on {}", dataDir, e);
        }
    }
}
