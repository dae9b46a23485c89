package dev.embedloop.encode;

import dev.embedloop.chunk.Chunker;
import dev.embedloop.config.ConfigException;
import dev.embedloop.config.EmbedloopConfig;
import java.io.IOException;

/**
 * The live model of a process: its encoder and the chunker that cuts texts to its window. Opened
 * once per JVM (one model per JVM, as DJL recommends) and closed with the application.
 */
public final class Models implements AutoCloseable {

    private final ModelDirectory directory;
    private final DjlOnnxEncoder encoder;
    private final HfTokenization tokenization;
    private final Chunker chunker;
    private final EncoderOptions options;

    private Models(ModelDirectory directory, DjlOnnxEncoder encoder, HfTokenization tokenization, Chunker chunker,
            EncoderOptions options) {
        this.directory = directory;
        this.options = options;
        this.encoder = encoder;
        this.tokenization = tokenization;
        this.chunker = chunker;
    }

    public static Models open(EmbedloopConfig cfg) {
        ModelDirectory dir;
        try {
            dir = BundledModels.resolveModel(cfg.model());
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("model", "'" + cfg.model() + "' is neither a bundled model "
                    + BundledModels.NAMES + " nor a readable model directory: " + e.getMessage());
        }
        EmbedloopConfig.Encoder e = cfg.encoder();
        EncoderOptions options = EncoderOptions.defaults()
                .withParallelism(e.parallelism())
                .withBatching(e.batchSize(), e.sortByLength())
                .withThreads(e.intraOpThreads(), 1);
        try {
            DjlOnnxEncoder encoder = DjlOnnxEncoder.load(dir, options);
            HfTokenization tokenization = HfTokenization.forModel(dir);
            Chunker chunker = tokenization.chunker(dir.descriptor(), cfg.chunking().overlapTokens());
            return new Models(dir, encoder, tokenization, chunker, options);
        } catch (IOException ex) {
            throw new IllegalStateException("could not load model " + dir.root() + ": " + ex.getMessage(), ex);
        }
    }

    public ModelDirectory directory() {
        return directory;
    }

    public DjlOnnxEncoder encoder() {
        return encoder;
    }

    /** The encoder settings, for loading promoted models the same way. */
    public EncoderOptions encoderOptions() {
        return options;
    }

    public Chunker chunker() {
        return chunker;
    }

    @Override
    public void close() {
        encoder.close();
        tokenization.close();
    }
}
