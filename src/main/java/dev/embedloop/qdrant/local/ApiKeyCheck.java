package dev.embedloop.qdrant.local;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;

/**
 * Qdrant's API-key check ({@code service.api_key} / {@code service.read_only_api_key}), as a gRPC interceptor.
 *
 * <p>Like Qdrant ({@code src/tonic/auth.rs}, {@code src/common/auth/mod.rs}): the key comes in the {@code api-key}
 * header, or as {@code authorization: Bearer <key>}. The health checks ({@code qdrant.Qdrant/HealthCheck},
 * {@code grpc.health.v1.Health/Check}) need no key. A missing key answers {@code UNAUTHENTICATED "Must provide an
 * API key or an Authorization bearer token"}, a wrong one {@code UNAUTHENTICATED "Invalid API key or JWT"}. The
 * read-only key may call only reading methods; anything else answers {@code PERMISSION_DENIED}, as Qdrant does
 * for a global read-only access. Keys are compared in constant time.
 */
final class ApiKeyCheck implements ServerInterceptor {

    private static final Metadata.Key<String> API_KEY = Metadata.Key.of("api-key", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> OPEN = Set.of("qdrant.Qdrant/HealthCheck", "grpc.health.v1.Health/Check");
    /** Methods that only read; everything else needs the read-write key. */
    private static final Set<String> READS = Set.of(
            "qdrant.Points/Get", "qdrant.Points/Scroll", "qdrant.Points/Count", "qdrant.Points/Search",
            "qdrant.Points/SearchBatch", "qdrant.Points/SearchGroups", "qdrant.Points/Recommend",
            "qdrant.Points/RecommendBatch", "qdrant.Points/RecommendGroups", "qdrant.Points/Discover",
            "qdrant.Points/DiscoverBatch", "qdrant.Points/Query", "qdrant.Points/QueryBatch",
            "qdrant.Points/QueryGroups", "qdrant.Points/Facet", "qdrant.Points/SearchMatrixPairs",
            "qdrant.Points/SearchMatrixOffsets",
            "qdrant.Collections/Get", "qdrant.Collections/List", "qdrant.Collections/ListAliases",
            "qdrant.Collections/ListCollectionAliases", "qdrant.Collections/CollectionExists",
            "qdrant.Collections/CollectionClusterInfo", "qdrant.Collections/ListShardKeys",
            "qdrant.Snapshots/List", "qdrant.Snapshots/ListFull");

    private final byte[] readWrite;
    private final byte[] readOnly;

    /**
     * @param readWrite the key for everything; not {@code null}
     * @param readOnly  the key for reads only, or {@code null}
     */
    ApiKeyCheck(String readWrite, String readOnly) {
        this.readWrite = readWrite.getBytes(StandardCharsets.UTF_8);
        this.readOnly = readOnly == null ? null : readOnly.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                       ServerCallHandler<Q, A> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        if (OPEN.contains(method)) {
            return next.startCall(call, headers);
        }
        String key = headers.get(API_KEY);
        if (key == null) {
            String authorization = headers.get(AUTHORIZATION);
            if (authorization != null && authorization.startsWith("Bearer ")) {
                key = authorization.substring("Bearer ".length());
            }
        }
        Status denied = null;
        if (key == null) {
            denied = Status.UNAUTHENTICATED.withDescription("Must provide an API key or an Authorization bearer token");
        } else {
            byte[] given = key.getBytes(StandardCharsets.UTF_8);
            if (!MessageDigest.isEqual(given, readWrite)) {
                if (readOnly == null || !MessageDigest.isEqual(given, readOnly)) {
                    denied = Status.UNAUTHENTICATED.withDescription("Invalid API key or JWT");
                } else if (!READS.contains(method)) {
                    denied = Status.PERMISSION_DENIED.withDescription("Forbidden: Global manage access is required");
                }
            }
        }
        if (denied != null) {
            call.close(denied, new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return next.startCall(call, headers);
    }
}
