package dev.embedloop.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.DjlOnnxEncoder;
import dev.embedloop.encode.EncoderOptions;
import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.lineage.ModelArtifact;
import dev.embedloop.lineage.ModelStore;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.lineage.ModelUpdatesFollower;
import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.model.OnnxAdapterExport;
import dev.embedloop.search.QueryModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts that share no disk, simulated by two model stores: a promotion published with its
 * adapter and checksums on {@code model-updates} (the trainer's directory deleted before anyone
 * reads it) is rebuilt by both from their own base model, verified, and serves the same vectors.
 * A record whose checksum does not match is refused.
 */
class ModelsWithoutSharedDiskIT {

    private static final List<String> QUERIES = List.of("wind tunnel measurements of a swept wing",
            "heat transfer in laminar boundary layers", "what is the buckling load of a thin cylinder");

    @TempDir
    Path work;

    @Test
    void shouldServeAPromotionOnTwoHostsWithTheSameVectorsFromTheRecordAlone() throws Exception {
        ModelDirectory base = BundledModels.resolveModel(BundledModels.MINILM_Q);
        String baseVersion = base.descriptor().version();
        int d = base.descriptor().dimension();
        LinearAdapter adapter = randomAdapter(d, 11);
        String version = baseVersion + "-a1";

        // the trainer's host: export, then build the record from the files
        Path trainerDir = work.resolve("trainer").resolve(version);
        OnnxAdapterExport.export(base, adapter, trainerDir, version, Map.of("parent", baseVersion));
        adapter.save(trainerDir.resolve(ModelStore.ADAPTER_FILE));
        ModelUpdate update = new ModelUpdate(version, trainerDir.toString(), ModelUpdate.SYMMETRIC, baseVersion, null,
                baseVersion, version, System.currentTimeMillis(), ModelUpdate.PROMOTED)
                .withArtifact(ModelStore.artifact(trainerDir, base));
        String trainerSha = ModelStore.sha256(trainerDir.resolve(ModelDirectory.MODEL_FILE));
        assertThat(update.artifact().modelSha256()).isEqualTo(trainerSha);
        deleteTree(work.resolve("trainer")); // nobody else can read the trainer's disk

        EmbedloopConfig defaults = ConfigLoader.defaults();
        try (EmbeddedServices services = EmbeddedServices.start(defaults, 0, 0, null)) {
            EmbedloopConfig cfg = services.configure(defaults);
            KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.modelTopics(cfg));
            String topic = cfg.topics().modelUpdates();
            ModelUpdatesFollower.publish(cfg.kafkaProperties(), topic, update); // ~0.8 MB record
            ModelUpdate tampered = tampered(update, baseVersion);
            ModelUpdatesFollower.publish(cfg.kafkaProperties(), topic, tampered);

            Path storeA = work.resolve("host-a");
            Path storeB = work.resolve("host-b");
            try (DjlOnnxEncoder baseEncoder = DjlOnnxEncoder.load(base);
                    ModelUpdatesFollower followerA = ModelUpdatesFollower.startCaughtUp(cfg.kafkaProperties(), topic,
                            baseVersion, Duration.ofSeconds(60));
                    ModelUpdatesFollower followerB = ModelUpdatesFollower.startCaughtUp(cfg.kafkaProperties(), topic,
                            baseVersion, Duration.ofSeconds(60));
                    QueryModels hostA = QueryModels.following(baseEncoder, followerA, EncoderOptions.defaults(),
                            u -> ModelStore.materialise(u, storeA, base));
                    QueryModels hostB = QueryModels.following(baseEncoder, followerB, EncoderOptions.defaults(),
                            u -> ModelStore.materialise(u, storeB, base))) {
                assertThat(followerA.lineage().get(version)).isPresent();
                // the indexer's side: the document adapter comes from the record, checked
                assertThat(ModelStore.documentAdapter(followerA.lineage(), version)).contains(adapter);

                TextEncoder a = hostA.encoder(version);
                TextEncoder b = hostB.encoder(version);
                assertThat(ModelStore.sha256(storeA.resolve(version).resolve(ModelDirectory.MODEL_FILE))).isEqualTo(trainerSha);
                assertThat(ModelStore.sha256(storeB.resolve(version).resolve(ModelDirectory.MODEL_FILE))).isEqualTo(trainerSha);
                assertThat(a.model().version()).isEqualTo(version);
                double minBetweenHosts = 1;
                double minVsJava = 1;
                for (String q : QUERIES) {
                    float[] va = a.encodeQuery(q);
                    float[] vb = b.encodeQuery(q);
                    minBetweenHosts = Math.min(minBetweenHosts, cosine(va, vb));
                    minVsJava = Math.min(minVsJava, cosine(va, adapter.applyQuery(baseEncoder.encodeQuery(q))));
                }
                System.out.printf("two hosts: min cosine between hosts %.7f, vs base + Java adapter %.7f%n",
                        minBetweenHosts, minVsJava);
                assertThat(minBetweenHosts).isGreaterThanOrEqualTo(0.99999);
                assertThat(minVsJava).isGreaterThanOrEqualTo(0.9999);

                // a record that does not rebuild to its checksum is never served, nor left half-built
                assertThatThrownBy(() -> hostA.encoder(tampered.version())).hasMessageContaining("sha-256");
                try (Stream<Path> left = Files.list(storeA)) {
                    assertThat(left.map(p -> p.getFileName().toString())).containsExactly(version);
                }
            }
        }
    }

    /** Another version whose record claims a model checksum its adapter does not produce. */
    private static ModelUpdate tampered(ModelUpdate update, String baseVersion) {
        ModelArtifact a = update.artifact();
        String version = baseVersion + "-a2";
        return new ModelUpdate(version, "/nowhere/" + version, ModelUpdate.QUERY_ONLY, update.version(), null,
                baseVersion, update.version(), update.promotedAt() + 1, ModelUpdate.ROLLED_BACK)
                .withArtifact(new ModelArtifact(a.adapter(), a.adapterSha256(), "0".repeat(64), a.baseModelSha256()));
    }

    private static LinearAdapter randomAdapter(int d, long seed) {
        Random random = new Random(seed);
        float[] w = new float[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                w[i * d + j] = (i == j ? 1f : 0f) + (float) (random.nextGaussian() * 0.08);
            }
        }
        return LinearAdapter.of(d, w, AdapterMode.SYMMETRIC, true);
    }

    private static double cosine(float[] x, float[] y) {
        double dot = 0, nx = 0, ny = 0;
        for (int i = 0; i < x.length; i++) {
            dot += x[i] * y[i];
            nx += x[i] * x[i];
            ny += y[i] * y[i];
        }
        return dot / Math.sqrt(nx * ny);
    }

    private static void deleteTree(Path dir) throws Exception {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
