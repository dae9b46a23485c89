package dev.embedloop.qdrant.local;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process, Qdrant-compatible gRPC server, for running Embedloop (and its tests) where no Qdrant can run.
 *
 * <p>The official {@code io.qdrant.client.QdrantClient} talks to it unchanged:
 * <pre>{@code
 * try (LocalQdrant qdrant = LocalQdrant.builder().port(0).dataDir(dir).build().start();
 *      QdrantClient client = new QdrantClient(
 *              QdrantGrpcClient.newBuilder(qdrant.host(), qdrant.port(), false).build())) {
 *     ...
 * }
 * }</pre>
 *
 * <p>It implements Qdrant's health check, collections (single unnamed and named dense vectors with Cosine, Dot,
 * Euclid and Manhattan distances, sparse vectors with and without IDF, vector names added and dropped later),
 * aliases, points (upsert, delete by id or filter, get, scroll with {@code order_by}, count, search, payload and
 * vector updates, batches), the universal query API (nearest, recommend, discover, context, prefetch with
 * RRF/DBSF fusion, MMR, {@code order_by}, random sample, {@code lookup_from}), the legacy recommend/discover APIs,
 * groups (with {@code with_lookup}), distance matrices, facets, geo filters, payload indexes (full-text tokenizers,
 * datetimes),
 * snapshots and API keys, with Qdrant's filter semantics, result ordering, and error codes and messages. Search
 * is exact brute force over flat float arrays. What it does not implement (multivectors, uint8/float16
 * storage, formula and relevance-feedback queries, inference, shard keys, stemming) answers
 * {@code UNIMPLEMENTED} instead of a wrong answer.
 *
 * <p>Without a data directory everything lives in memory. With one, every acknowledged write is in a
 * write-ahead journal before it is answered ({@code wait=true} writes are forced to disk), and the state comes
 * back after {@link #close()} and a new {@link #start()} on the same directory. A directory is used by one
 * LocalQdrant at a time. All calls are thread-safe.
 */
public final class LocalQdrant implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalQdrant.class);

    /** What Qdrant's health check answers as its title. */
    static final String TITLE = "qdrant - vector search engine";
    /** The Qdrant version whose behaviour is emulated, reported by the health check (the client checks it). */
    static final String VERSION = "1.18.0";
    /** Qdrant's default {@code service.max_request_size_mb}. */
    private static final int MAX_REQUEST_BYTES = 32 * 1024 * 1024;

    private final String host;
    private final int requestedPort;
    private final Path dataDir;
    private final String apiKey;
    private final String readOnlyApiKey;
    private final Path snapshotsDir;
    private Server server;
    private LocalStorage storage;
    private SnapshotStore snapshots;
    /** A snapshots directory this server created for itself (in memory, none configured), removed on close. */
    private Path ownSnapshotsDir;

    private LocalQdrant(Builder builder) {
        this.host = builder.host;
        this.requestedPort = builder.port;
        this.dataDir = builder.dataDir;
        this.apiKey = builder.apiKey;
        this.readOnlyApiKey = builder.readOnlyApiKey;
        this.snapshotsDir = builder.snapshotsDir;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Loads the data directory (if any) and starts serving.
     *
     * @return this server, for chaining
     * @throws UncheckedIOException when the data directory cannot be read or is in use, or the port is taken
     * @throws IllegalStateException when already started
     */
    public synchronized LocalQdrant start() {
        if (server != null) {
            throw new IllegalStateException("LocalQdrant is already started");
        }
        try {
            storage = dataDir == null ? LocalStorage.inMemory() : LocalStorage.open(dataDir);
            Path snapshotRoot = snapshotsDir != null ? snapshotsDir
                    : dataDir != null ? dataDir.resolve("snapshots")
                    : (ownSnapshotsDir = Files.createTempDirectory("local-qdrant-snapshots"));
            snapshots = new SnapshotStore(snapshotRoot);
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, requestedPort))
                    .maxInboundMessageSize(MAX_REQUEST_BYTES);
            for (BindableService service : List.of(new HealthService(), new CollectionsService(storage),
                    new PointsService(storage), new SnapshotsService(storage, snapshots))) {
                builder.addService(apiKey == null ? service.bindService()
                        : ServerInterceptors.intercept(service, new ApiKeyCheck(apiKey, readOnlyApiKey)));
            }
            server = builder.build().start();
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("could not start LocalQdrant on " + host + ":" + requestedPort, e);
        }
        LOG.info("LocalQdrant {} listening on {}:{} ({}, {})", VERSION, host, port(),
                dataDir == null ? "in memory" : "data in " + dataDir,
                apiKey == null ? "no API key" : readOnlyApiKey == null ? "API key required" : "API keys required");
        return this;
    }

    /** The port clients connect to; the actual one when built with port 0. */
    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("LocalQdrant is not started");
        }
        return server.getPort();
    }

    /**
     * Recreates collection {@code collection} from a collection snapshot file (one that {@code CreateSnapshot}
     * wrote, e.g. under {@code <data dir>/snapshots/<collection>/}), replacing a collection of that name, like
     * Qdrant's {@code PUT /collections/{name}/snapshots/recover}. The snapshot may come from another collection
     * or another LocalQdrant.
     *
     * @throws UncheckedIOException when the file cannot be read or is not an intact collection snapshot
     * @throws IllegalStateException when not started
     */
    public void recoverSnapshot(String collection, Path snapshotFile) {
        LocalStorage current;
        synchronized (this) {
            if (storage == null) {
                throw new IllegalStateException("LocalQdrant is not started");
            }
            current = storage;
        }
        try {
            current.recoverCollection(collection, snapshotFile);
        } catch (IOException e) {
            throw new UncheckedIOException("could not recover " + collection + " from " + snapshotFile, e);
        }
    }

    /**
     * Replaces every collection and alias with the contents of a full snapshot file (one that
     * {@code CreateFullSnapshot} wrote, e.g. {@code <data dir>/snapshots/full-snapshot-...snapshot}).
     *
     * @throws UncheckedIOException when the file cannot be read or is damaged
     * @throws IllegalStateException when not started
     */
    public void recoverFullSnapshot(Path snapshotFile) {
        LocalStorage current;
        synchronized (this) {
            if (storage == null) {
                throw new IllegalStateException("LocalQdrant is not started");
            }
            current = storage;
        }
        try {
            current.recoverAll(snapshotFile);
        } catch (IOException e) {
            throw new UncheckedIOException("could not recover from " + snapshotFile, e);
        }
    }

    /** Where snapshots are written: the configured directory, {@code <data dir>/snapshots}, or a temporary one. */
    public synchronized Path snapshotsDir() {
        if (snapshots == null) {
            throw new IllegalStateException("LocalQdrant is not started");
        }
        return snapshots.root();
    }

    /** The address the server listens on. */
    public String host() {
        return host;
    }

    /** Stops serving (letting running calls finish for a moment) and closes the journal. Idempotent. */
    @Override
    public synchronized void close() {
        if (server != null) {
            int port = server.getPort();
            server.shutdown();
            try {
                if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                    server.shutdownNow();
                    server.awaitTermination(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
            LOG.info("LocalQdrant on {}:{} stopped", host, port);
            server = null;
        }
        if (storage != null) {
            storage.close();
            storage = null;
        }
        snapshots = null;
        if (ownSnapshotsDir != null) {
            deleteRecursively(ownSnapshotsDir);
            ownSnapshotsDir = null;
        }
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("could not delete {}", p);
                }
            });
        } catch (IOException e) {
            LOG.warn("could not delete the snapshots directory {}", dir);
        }
    }

    /** Configures a {@link LocalQdrant}; defaults: {@code 127.0.0.1}, port 6334 (Qdrant's gRPC port), in memory. */
    public static final class Builder {

        private String host = "127.0.0.1";
        private int port = 6334;
        private Path dataDir;
        private String apiKey;
        private String readOnlyApiKey;
        private Path snapshotsDir;

        private Builder() {
        }

        /** The address to listen on; the loopback address unless something else must reach it. */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** The port to listen on; 0 picks a free one, see {@link LocalQdrant#port()}. */
        public Builder port(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** Where to keep the data so that it survives a restart; {@code null} (the default) keeps it in memory. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /**
         * Requires this key from every client, like Qdrant's {@code service.api_key}: in the {@code api-key}
         * header (what {@code QdrantGrpcClient.Builder.withApiKey} sends) or as {@code authorization: Bearer}.
         * Calls without it fail with {@code UNAUTHENTICATED}; the health check stays open. {@code null} or empty
         * (the default) lets every client in.
         */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey == null || apiKey.isEmpty() ? null : apiKey;
            return this;
        }

        /**
         * A second key that may only read (search, query, scroll, get, count, list...), like Qdrant's
         * {@code service.read_only_api_key}; writes with it fail with {@code PERMISSION_DENIED}. Only takes effect
         * together with {@link #apiKey(String)}.
         */
        public Builder readOnlyApiKey(String readOnlyApiKey) {
            this.readOnlyApiKey = readOnlyApiKey == null || readOnlyApiKey.isEmpty() ? null : readOnlyApiKey;
            return this;
        }

        /**
         * Where {@code CreateSnapshot} writes (Qdrant's {@code storage.snapshots_path}); by default
         * {@code <data dir>/snapshots}, or, in memory, a temporary directory removed on {@link #close()}.
         */
        public Builder snapshotsDir(Path snapshotsDir) {
            this.snapshotsDir = snapshotsDir;
            return this;
        }

        public LocalQdrant build() {
            if (readOnlyApiKey != null && apiKey == null) {
                throw new IllegalStateException("a read-only API key needs a read-write API key as well");
            }
            return new LocalQdrant(this);
        }
    }
}
