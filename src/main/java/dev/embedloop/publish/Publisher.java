package dev.embedloop.publish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedloop.events.Json;
import dev.embedloop.kafka.KafkaClients;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes documents to the documents topic from a JSON-lines file, in Embedloop's event format
 * ({@code id, title, text, metadata, version}) or the BEIR corpus format ({@code _id, title, text}),
 * and tombstones to delete documents.
 */
public final class Publisher implements AutoCloseable {

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;

    public Publisher(Properties kafkaProperties, String topic, long maxRecordBytes) {
        Properties props = KafkaClients.producer(kafkaProperties);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Long.toString(maxRecordBytes));
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        this.topic = topic;
    }

    /**
     * Converts one line of a corpus file into the value of a document event. Lines in the BEIR
     * layout get their {@code _id} as {@code id}; other fields pass through.
     *
     * @return the document id and the event JSON
     * @throws IllegalArgumentException when the line is not a JSON object with an id
     */
    public static Line convert(String line) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(line);
        } catch (IOException e) {
            throw new IllegalArgumentException("not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        ObjectNode obj = (ObjectNode) node;
        JsonNode id = obj.has("id") ? obj.get("id") : obj.get("_id");
        if (id == null || !id.isValueNode() || id.asText().isEmpty()) {
            throw new IllegalArgumentException("has neither id nor _id");
        }
        if (obj.has("_id")) {
            obj.remove("_id");
            obj.put("id", id.asText());
        }
        return new Line(id.asText(), Json.write(obj));
    }

    /** The first line of a file without the UTF-8 byte order mark some editors write before it. */
    static String withoutByteOrderMark(String firstLine) {
        return firstLine.startsWith("\ufeff") ? firstLine.substring(1) : firstLine;
    }

    /** One converted line. */
    public record Line(String id, byte[] value) {}

    /**
     * Publishes every non-blank line of {@code file}, waiting for the broker's acknowledgement.
     *
     * @param progress where the progress bar goes (null for none)
     * @return how many documents were published
     */
    public long publishFile(Path file, PrintStream progress) throws IOException {
        long total = countLines(file);
        long sent = 0;
        long lineNo = 0;
        AtomicReference<Exception> failure = new AtomicReference<>();
        Progress bar = new Progress(progress, total);
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (lineNo == 1) {
                    line = withoutByteOrderMark(line);
                }
                if (line.isBlank()) {
                    continue;
                }
                Line converted;
                try {
                    converted = convert(line);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + " line " + lineNo + ": " + e.getMessage());
                }
                producer.send(new ProducerRecord<>(topic, converted.id(), converted.value()), (md, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
                sent++;
                bar.update(sent);
                if (failure.get() != null) {
                    break;
                }
            }
        }
        producer.flush();
        bar.done(sent);
        if (failure.get() != null) {
            throw new IOException("publishing to " + topic + " failed: " + failure.get().getMessage(), failure.get());
        }
        return sent;
    }

    /** Publishes one event value (already JSON) for {@code id}. */
    public RecordMetadata publish(String id, byte[] value) {
        return await(producer.send(new ProducerRecord<>(topic, id, value)));
    }

    /** Publishes a tombstone: the document is deleted from the index. */
    public RecordMetadata delete(String id) {
        return await(producer.send(new ProducerRecord<>(topic, id, null)));
    }

    private static RecordMetadata await(Future<RecordMetadata> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("publish failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static long countLines(Path file) throws IOException {
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.isBlank()).count();
        }
    }

    @Override
    public void close() {
        producer.close();
    }

    /** A one-line progress bar on a terminal stream. */
    static final class Progress {
        private final PrintStream out;
        private final long total;
        private long lastPercent = -1;

        Progress(PrintStream out, long total) {
            this.out = out;
            this.total = total;
        }

        void update(long done) {
            if (out == null || total == 0) {
                return;
            }
            long percent = done * 100 / total;
            if (percent != lastPercent) {
                lastPercent = percent;
                int filled = (int) (percent / 5);
                out.print("\r[" + "#".repeat(filled) + " ".repeat(20 - filled) + "] " + done + "/" + total + " documents");
                out.flush();
            }
        }

        void done(long sent) {
            if (out != null) {
                out.println("\rpublished " + sent + " documents" + " ".repeat(30));
            }
        }
    }
}
