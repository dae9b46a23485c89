package dev.embedloop.feedback;

import dev.embedloop.events.DocumentEvent;
import dev.embedloop.events.DocumentValidator;
import dev.embedloop.events.Validation;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global documents store: document id → training text. In: raw records of the documents
 * topic (all partitions, on every instance). Out: nothing downstream; the store.
 *
 * <p>Mirrors what the indexer accepts, with the same {@link DocumentValidator}: a valid document
 * stores its title and text cut to {@code maxTextChars} (so the store stays small whatever the
 * document size); a tombstone deletes; an invalid record (which the indexer dead-letters) and a
 * version older than the stored one are ignored, leaving the previous text. Kafka Streams runs this
 * processor again when it restores the global store, so the store is always derived the same way;
 * a change of {@code maxTextChars} applies to documents published after it (or to all after the
 * local state is wiped).
 *
 * <p>Errors: bad records are skipped (the indexer reports them); an exception from the store fails
 * the global thread.
 */
final class DocumentTextUpdater implements Processor<byte[], byte[], Void, Void> {

    private static final Logger LOG = LoggerFactory.getLogger(DocumentTextUpdater.class);

    private final DocumentValidator validator = new DocumentValidator(Integer.MAX_VALUE);
    private final int maxTextChars;
    private final String storeName;
    private KeyValueStore<String, DocumentText> store;

    DocumentTextUpdater(int maxTextChars, String storeName) {
        this.maxTextChars = maxTextChars;
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Validation v = validator.validate(record.key(), record.value());
        if (v instanceof Validation.Valid valid) {
            DocumentEvent doc = valid.document();
            DocumentText current = store.get(doc.id());
            if (current != null && current.version() != null && doc.version() != null
                    && doc.version() < current.version()) {
                LOG.debug("ignoring stale version {} of document {}", doc.version(), doc.id());
                return;
            }
            store.put(doc.id(), new DocumentText(PairingRules.truncate(doc.indexedText(), maxTextChars), doc.version()));
        } else if (v instanceof Validation.Deleted deleted) {
            store.delete(deleted.id());
        } else if (v instanceof Validation.Invalid invalid) {
            LOG.debug("ignoring invalid document record: {}", invalid.code());
        }
    }
}
