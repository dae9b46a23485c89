package dev.embedloop.qdrant.local;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The gRPC errors LocalQdrant answers with, shaped like Qdrant's.
 *
 * <p>Qdrant turns its {@code StorageError} into a {@code tonic::Status} whose description is the error's
 * display text: {@code BadInput} is {@code INVALID_ARGUMENT "Wrong input: ..."}, {@code AlreadyExists} is
 * {@code ALREADY_EXISTS "Wrong input: ..."}, {@code NotFound} is {@code NOT_FOUND "Not found: ..."} and
 * {@code BadRequest} is {@code INVALID_ARGUMENT "Bad request: ..."} (qdrant/qdrant,
 * {@code lib/storage/src/content_manager/errors.rs} and the {@code From<StorageError> for Status} in
 * {@code conversions.rs}). Errors raised while converting the request itself (a malformed UUID, say) carry
 * no prefix. Callers match on the code and the text, so both are reproduced exactly.
 */
final class QdrantErrors {

    private QdrantErrors() {
    }

    /** {@code StorageError::BadInput}: the request is well formed but does not fit the collection. */
    static StatusRuntimeException badInput(String description) {
        return status(Status.INVALID_ARGUMENT, "Wrong input: " + description);
    }

    /** {@code StorageError::AlreadyExists} (since Qdrant 1.8 its own code, the text kept its old prefix). */
    static StatusRuntimeException alreadyExists(String description) {
        return status(Status.ALREADY_EXISTS, "Wrong input: " + description);
    }

    /** {@code StorageError::NotFound}. */
    static StatusRuntimeException notFound(String description) {
        return status(Status.NOT_FOUND, "Not found: " + description);
    }

    /** {@code StorageError::BadRequest}. */
    static StatusRuntimeException badRequest(String description) {
        return status(Status.INVALID_ARGUMENT, "Bad request: " + description);
    }

    /** A request Qdrant rejects while converting it from protobuf, before any storage is involved. */
    static StatusRuntimeException invalidArgument(String message) {
        return status(Status.INVALID_ARGUMENT, message);
    }

    /** A request rejected by Qdrant's request validation ({@code validator} crate), one field at fault. */
    static StatusRuntimeException validation(String field, String problem) {
        return status(Status.INVALID_ARGUMENT, "Validation error in body: [" + field + ": " + problem + "]");
    }

    /** Something Qdrant does, but this in-process stand-in does not: say so rather than answer wrongly. */
    static StatusRuntimeException unsupported(String what) {
        return status(Status.UNIMPLEMENTED, "LocalQdrant does not support " + what);
    }

    /** {@code StorageError::ServiceError}: our own failure, e.g. the write-ahead log could not be written. */
    static StatusRuntimeException internal(String description) {
        return status(Status.INTERNAL, "Service internal error: " + description);
    }

    /** What every operation on a collection (or alias) that does not exist answers. */
    static StatusRuntimeException collectionNotFound(String name) {
        return notFound("Collection `" + name + "` doesn't exist!");
    }

    /** Qdrant's {@code CollectionError::PointNotFound}, e.g. setting the payload of a missing point. */
    static StatusRuntimeException pointNotFound(PointKey id) {
        return notFound("No point with id " + id + " found");
    }

    /** A vector whose length differs from the collection's configured size. */
    static StatusRuntimeException wrongDimension(int expected, int got) {
        return badInput("Vector dimension error: expected dim: " + expected + ", got " + got);
    }

    /** A vector name the collection does not define; the unnamed default vector is the empty name. */
    static StatusRuntimeException noSuchVector(String name) {
        return badInput("Not existing vector name error: " + name);
    }

    private static StatusRuntimeException status(Status status, String description) {
        return status.withDescription(description).asRuntimeException();
    }
}
