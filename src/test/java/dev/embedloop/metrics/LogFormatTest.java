package dev.embedloop.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.ParameterizedMessage;
import org.apache.logging.log4j.util.SortedArrayStringMap;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The product's log configuration (not the tests' one) in both formats. */
class LogFormatTest {

    @Test
    void jsonLinesCarryTheLogContextAndTextLinesStayText() throws Exception {
        String json = logOnce("json");
        JsonNode line = new ObjectMapper().readTree(json.lines().filter(l -> l.contains("hello")).findFirst().orElseThrow());
        assertThat(line.get("level").asText()).isEqualTo("WARN");
        assertThat(line.get("message").asText()).isEqualTo("hello 42");
        assertThat(line.get("logger").asText()).isEqualTo("dev.embedloop.probe");
        assertThat(line.get("stage").asText()).isEqualTo("index");
        assertThat(line.get("document_id").asText()).isEqualTo("doc-1");
        assertThat(line.get("model_version").asText()).isEqualTo("v1");
        assertThat(line.get("error").asText()).isEqualTo(IllegalStateException.class.getName());
        assertThat(line.has("time")).isTrue();

        String text = logOnce("text");
        assertThat(text).contains("WARN").contains("probe - hello 42").doesNotContain("\"level\"");
        // the context is restored after the block
        assertThat(MDC.get(LogContext.DOCUMENT_ID)).isNull();
    }

    /**
     * Formats one event with the console layout of a fresh context of embedloop-log4j2.xml in
     * {@code format}, the logging context set by {@link LogContext}.
     */
    private String logOnce(String format) throws Exception {
        String before = System.getProperty(LogFormat.PROPERTY);
        System.setProperty(LogFormat.PROPERTY, format);
        LoggerContext context = new LoggerContext("log-format-" + format, null,
                getClass().getResource("/embedloop-log4j2.xml").toURI());
        try {
            context.start();
            Layout<?> layout = context.getConfiguration().getAppender("stderr").getLayout();
            try (LogContext ignored = LogContext.document("index", "doc-1", "v1")) {
                LogEvent event = Log4jLogEvent.newBuilder()
                        .setLoggerName("dev.embedloop.probe")
                        .setLevel(Level.WARN)
                        .setMessage(new ParameterizedMessage("hello {}", 42))
                        .setThrown(new IllegalStateException("boom"))
                        .setContextData(new SortedArrayStringMap(ThreadContext.getImmutableContext()))
                        .build();
                return new String(layout.toByteArray(event), StandardCharsets.UTF_8);
            }
        } finally {
            context.stop();
            if (before == null) {
                System.clearProperty(LogFormat.PROPERTY);
            } else {
                System.setProperty(LogFormat.PROPERTY, before);
            }
        }
    }
}
