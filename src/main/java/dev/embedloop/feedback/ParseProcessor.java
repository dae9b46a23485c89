package dev.embedloop.feedback;

import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.FeedbackError;
import dev.embedloop.events.Impression;
import dev.embedloop.feedback.FeedbackInputParser.Parsed;
import dev.embedloop.feedback.FeedbackStats.DropReason;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses raw impression or click records. In: key and value bytes of the impressions or clicks
 * topic. Out: key = query_id, value = the event with its original bytes; or, for a record that does
 * not parse or breaks the schema, a {@link Inbound.Rejected} dead letter (JSON body and headers,
 * original bytes kept) that the join processor passes on to the dead-letter topic. Never throws on
 * bad input.
 */
final class ParseProcessor implements Processor<byte[], byte[], String, Inbound> {

    private static final Logger LOG = LoggerFactory.getLogger(ParseProcessor.class);

    /** Which topic this instance reads. */
    enum Kind { IMPRESSIONS, CLICKS }

    private final Kind kind;
    private final FeedbackInputParser parser;
    private final FeedbackStats stats;
    private ProcessorContext<String, Inbound> context;

    ParseProcessor(Kind kind, FeedbackInputParser parser, FeedbackStats stats) {
        this.kind = kind;
        this.parser = parser;
        this.stats = stats;
    }

    @Override
    public void init(ProcessorContext<String, Inbound> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        if (kind == Kind.IMPRESSIONS) {
            Parsed<Impression> parsed = parser.impression(record.key(), record.value());
            if (parsed instanceof Parsed.Ok<Impression> ok) {
                stats.onImpression();
                Impression impression = ok.event();
                context.forward(new Record<>(impression.queryId(), new Inbound.ImpressionIn(impression, record.value()),
                        record.timestamp(), record.headers()));
            } else if (parsed instanceof Parsed.Invalid<Impression> invalid) {
                reject(record, invalid.code(), invalid.reason());
            }
        } else {
            Parsed<Click> parsed = parser.click(record.key(), record.value());
            if (parsed instanceof Parsed.Ok<Click> ok) {
                stats.onClick();
                Click click = ok.event();
                context.forward(new Record<>(click.queryId(), new Inbound.ClickIn(click, record.value()),
                        record.timestamp(), record.headers()));
            } else if (parsed instanceof Parsed.Invalid<Click> invalid) {
                reject(record, invalid.code(), invalid.reason());
            }
        }
    }

    private void reject(Record<byte[], byte[]> record, FeedbackError code, String reason) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        DeadLetter letter = DeadLetters.letter(context, code, reason, key, record.value(), record.timestamp());
        // the reason names fields only; the log line carries coordinates and the error class, never input text
        LOG.warn("dead-lettered {} record {}: {}", kind.name().toLowerCase(Locale.ROOT), DeadLetters.where(letter), code);
        stats.onDropped(DropReason.BAD_INPUT);
        stats.onDeadLettered();
        context.forward(DeadLetters.record(key, new Inbound.Rejected(letter), letter));
    }
}
