package dev.embedloop.metrics;

import org.slf4j.MDC;

/**
 * The fields a log line carries about the record being handled, in the logging context (MDC):
 * {@code stage}, {@code document_id} and {@code model_version}. The JSON layout
 * ({@code log.format=json}) writes them as fields. Never put document text here.
 *
 * <pre>
 * try (LogContext ignored = LogContext.document("index", id, modelVersion)) {
 *     ... LOG.warn("…") carries the three fields ...
 * }
 * </pre>
 */
public final class LogContext implements AutoCloseable {

    /** MDC key of the pipeline stage (validate, index, feedback, train, search). */
    public static final String STAGE = "stage";
    /** MDC key of the document id. */
    public static final String DOCUMENT_ID = "document_id";
    /** MDC key of the model version. */
    public static final String MODEL_VERSION = "model_version";

    private final String previousStage;
    private final String previousDocument;
    private final String previousModel;

    private LogContext(String stage, String documentId, String modelVersion) {
        previousStage = MDC.get(STAGE);
        previousDocument = MDC.get(DOCUMENT_ID);
        previousModel = MDC.get(MODEL_VERSION);
        put(STAGE, stage);
        put(DOCUMENT_ID, documentId);
        put(MODEL_VERSION, modelVersion);
    }

    /** Sets the fields (a null one is left out) until {@link #close()}, which restores what was there. */
    public static LogContext document(String stage, String documentId, String modelVersion) {
        return new LogContext(stage, documentId, modelVersion);
    }

    @Override
    public void close() {
        put(STAGE, previousStage);
        put(DOCUMENT_ID, previousDocument);
        put(MODEL_VERSION, previousModel);
    }

    private static void put(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }
}
