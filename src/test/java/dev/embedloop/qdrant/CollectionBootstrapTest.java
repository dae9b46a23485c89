package dev.embedloop.qdrant;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** How a create that lost a race is told from a real failure, for old and new Qdrant servers. */
class CollectionBootstrapTest {

    private static Qdrant.QdrantException failed(Status status) {
        return new Qdrant.QdrantException("create failed", status.asRuntimeException(), false);
    }

    @Test
    void shouldTreatAnExistingCollectionAsAlreadyExistsOnOldAndNewQdrant() {
        // Qdrant >= 1.8: StorageError::AlreadyExists -> ALREADY_EXISTS (text keeps the old prefix)
        assertThat(CollectionBootstrap.alreadyExists(failed(Status.ALREADY_EXISTS
                .withDescription("Wrong input: Collection `docs__v1` already exists!")))).isTrue();
        // older Qdrant: StorageError::BadInput -> INVALID_ARGUMENT
        assertThat(CollectionBootstrap.alreadyExists(failed(Status.INVALID_ARGUMENT
                .withDescription("Wrong input: Collection `docs__v1` already exists!")))).isTrue();
    }

    @Test
    void shouldNotMistakeOtherFailuresForARace() {
        assertThat(CollectionBootstrap.alreadyExists(failed(Status.INVALID_ARGUMENT
                .withDescription("Wrong input: Vector dimension error: expected dim: 384, got 768")))).isFalse();
        assertThat(CollectionBootstrap.alreadyExists(failed(Status.UNAVAILABLE.withDescription("io exception")))).isFalse();
        assertThat(CollectionBootstrap.alreadyExists(failed(Status.PERMISSION_DENIED))).isFalse();
    }
}
