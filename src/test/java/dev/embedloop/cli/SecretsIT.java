package dev.embedloop.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Feeds every kind of secret (Kafka's password settings, key material, passphrases, the Qdrant API
 * key; by flag and by environment) with distinctive values to the commands that print or log
 * configuration, runs each in its own JVM with everything logged (Embedloop at DEBUG, Kafka's client
 * configuration dumps at INFO) and greps all they print and log for the values.
 */
class SecretsIT {

    /** key → distinctive value; none of them may appear in any output. */
    private static final Map<String, String> FLAGS = new LinkedHashMap<>();
    private static final Map<String, String> ENV = new LinkedHashMap<>();

    static {
        FLAGS.put("kafka.ssl.keystore.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----MIIsecretKeystoreKey7788-----END ENCRYPTED PRIVATE KEY-----");
        FLAGS.put("kafka.sasl.oauthbearer.assertion.private.key.passphrase", "secretAssertionPassphrase4411");
        FLAGS.put("kafka.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"secretJaasPw9911\";");
        FLAGS.put("kafka.ssl.key.password", "secretKeyPassword5521");
        FLAGS.put("kafka.ssl.truststore.password", "secretTruststorePw6632");
        FLAGS.put("kafka.ssl.keystore.certificate.chain", "-----BEGIN CERTIFICATE-----secretCertChain8843-----END CERTIFICATE-----");
        FLAGS.put("kafka.ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----secretTrustedCerts1290-----END CERTIFICATE-----");
        FLAGS.put("kafka.sasl.oauthbearer.client.credentials.client.secret", "secretOauthClient3317");
        FLAGS.put("kafka.producer.ssl.key.password", "secretProducerKeyPw2290");
        FLAGS.put("kafka.listener.name.sasl_ssl.ssl.key.password", "secretListenerKeyPw7712");
        FLAGS.put("kafka.some.plugin.private.key", "secretPluginPrivateKey6501");
        ENV.put("EMBEDLOOP_QDRANT_API_KEY", "secretQdrantApiKey4242");
        ENV.put("EMBEDLOOP_KAFKA_SSL_KEYSTORE_PASSWORD", "secretKeystorePwFromEnv5150");
    }

    @Test
    void shouldNeverPrintOrLogASecretInAnyCommand() throws Exception {
        String config = run(List.of("config"), "PLAINTEXT");
        assertThat(config).contains("kafka.ssl.keystore.key=****", "qdrant.api-key=****", "kafka.ssl.keystore.password=****",
                "kafka.sasl.oauthbearer.assertion.private.key.passphrase=****");
        assertNoSecret("config", config);

        // the broker is unreachable: each command logs its configuration, creates its clients (Kafka
        // dumps their configuration) and fails on the first call
        for (String command : List.of("index", "train", "feedback")) {
            String out = run(List.of(command), "PLAINTEXT");
            assertNoSecret(command, out);
            assertThat(out).as("%s created Kafka clients, which log their configuration", command).contains("[hidden]");
            if (!command.equals("feedback")) {
                assertThat(out).as(command + " logged its configuration").contains("configuration: {");
            }
        }
        // over SASL_SSL Kafka parses the JAAS text and the PEM key material (and fails on these values)
        String sasl = run(List.of("index"), "SASL_SSL");
        assertNoSecret("index over SASL_SSL", sasl);
        assertThat(sasl).contains("Failed to create new KafkaAdminClient");
    }

    private static void assertNoSecret(String what, String output) {
        for (Map<String, String> secrets : List.of(FLAGS, ENV)) {
            secrets.forEach((key, value) -> {
                assertThat(output).as("%s printed or logged the value of %s", what, key).doesNotContain(value);
                // nor its distinctive part (a value cut, escaped or wrapped in a message)
                java.util.regex.Matcher token = java.util.regex.Pattern.compile("secret[A-Za-z]+\\d{4}").matcher(value);
                assertThat(token.find()).as("test value of %s carries a distinctive token", key).isTrue();
                assertThat(output).as("%s printed or logged part of %s", what, key).doesNotContain(token.group());
            });
        }
    }

    private static String run(List<String> command, String protocol) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-Dlog4j2.configurationFile=classpath:secrets-log4j2.xml");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.embedloop.cli.Cli");
        cmd.addAll(command);
        FLAGS.forEach((k, v) -> cmd.addAll(List.of("--set", k + "=" + v)));
        cmd.addAll(List.of(
                "--set", "kafka.security.protocol=" + protocol,
                "--set", "kafka.sasl.mechanism=PLAIN",
                "--set", "kafka.bootstrap.servers=localhost:1",
                "--set", "kafka.request.timeout.ms=2000",
                "--set", "kafka.default.api.timeout.ms=3000",
                "--set", "qdrant.port=1",
                "--set", "model=all-minilm-l6-v2-q",
                "--set", "train.model-store=" + Path.of("target", "secrets-it", "models")));
        Path dir = Files.createDirectories(Path.of("target", "secrets-it"));
        Path log = dir.resolve(String.join("-", command) + "-" + protocol + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(ENV);
        pb.environment().put("EMBEDLOOP_DEBUG", "1"); // stack traces too
        pb.environment().put("EMBEDLOOP_MANAGEMENT_PORT", "0"); // whatever else listens on this host
        Process p = pb.start();
        boolean exited = p.waitFor(120, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor();
        }
        assertThat(exited).as("%s over %s ended (log in %s)", command, protocol, log).isTrue();
        return Files.readString(log, StandardCharsets.UTF_8);
    }
}
