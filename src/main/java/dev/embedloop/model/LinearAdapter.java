package dev.embedloop.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An immutable learned linear map on top of a frozen encoder: {@code e -> normalize(W e)}, with W a
 * d×d float matrix stored row-major.
 *
 * <p>In: base embeddings of length d. Out: new float arrays of length d, L2-normalised when
 * {@link #normalizes()} (the default: the index scores by cosine, and a unit output lets the
 * same vectors go to dot-product indices). Inputs are never modified. {@link #mode()} says
 * whether documents are transformed too ({@link #applyDocument}).
 *
 * <p><b>Binary format</b> (for the model store; all little-endian, as ONNX initialisers are):
 * <pre>
 *   bytes 0..3   magic "ELAD"
 *   int32        format version (1)
 *   int32        d
 *   int32        flags: bit 0 = normalise output, bit 1 = query-only
 *   float32[d*d] W, row-major
 * </pre>
 * Reading rejects a wrong magic, an unknown version, a truncated or over-long body and
 * non-finite weights, because a half-written file must never be served.
 *
 * <p>{@code equals}/{@code hashCode} compare content exactly; use {@link #maxAbsDifference} for
 * approximate comparisons.
 */
public final class LinearAdapter {

    static final int MAGIC = 0x44414C45; // "ELAD" read as a little-endian int
    static final int VERSION = 1;
    static final int HEADER_BYTES = 16;
    /** Guards the reader against allocating gigabytes for a corrupt header. */
    static final int MAX_DIM = 8192;

    private final int dim;
    private final float[] weights;
    private final AdapterMode mode;
    private final boolean normalize;

    private LinearAdapter(int dim, float[] weights, AdapterMode mode, boolean normalize) {
        this.dim = dim;
        this.weights = weights;
        this.mode = mode;
        this.normalize = normalize;
    }

    /** The identity map on d dimensions (symmetric, normalising): serving through it changes nothing but scale. */
    public static LinearAdapter identity(int dim) {
        checkDim(dim);
        float[] w = new float[dim * dim];
        for (int i = 0; i < dim; i++) {
            w[i * dim + i] = 1f;
        }
        return new LinearAdapter(dim, w, AdapterMode.SYMMETRIC, true);
    }

    /**
     * An adapter from a row-major d×d matrix (copied).
     *
     * @throws IllegalArgumentException when the length is not d*d or a weight is not finite
     */
    public static LinearAdapter of(int dim, float[] rowMajor, AdapterMode mode, boolean normalize) {
        checkDim(dim);
        Objects.requireNonNull(rowMajor, "rowMajor");
        Objects.requireNonNull(mode, "mode");
        if (rowMajor.length != dim * dim) {
            throw new IllegalArgumentException("expected " + dim * dim + " weights for d=" + dim
                    + ", got " + rowMajor.length);
        }
        for (float f : rowMajor) {
            if (!Float.isFinite(f)) {
                throw new IllegalArgumentException("weights must be finite");
            }
        }
        return new LinearAdapter(dim, rowMajor.clone(), mode, normalize);
    }

    /** Same as {@link #of(int, float[], AdapterMode, boolean)} from a double matrix (the trainer's working precision). */
    public static LinearAdapter ofDoubles(int dim, double[] rowMajor, AdapterMode mode, boolean normalize) {
        float[] w = new float[rowMajor.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rowMajor[i];
        }
        return of(dim, w, mode, normalize);
    }

    private static void checkDim(int dim) {
        if (dim <= 0 || dim > MAX_DIM) {
            throw new IllegalArgumentException("dimension must be in 1.." + MAX_DIM + ", was " + dim);
        }
    }

    public int dim() {
        return dim;
    }

    public AdapterMode mode() {
        return mode;
    }

    /** Whether outputs are L2-normalised. */
    public boolean normalizes() {
        return normalize;
    }

    /** W[row, col]. */
    public float get(int row, int col) {
        return weights[row * dim + col];
    }

    /** A copy of W, row-major. */
    public float[] weights() {
        return weights.clone();
    }

    /** W as doubles, row-major (a fresh array; the trainer's warm start). */
    public double[] weightsAsDoubles() {
        double[] w = new double[weights.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = weights[i];
        }
        return w;
    }

    /** The same matrix with another mode. */
    public LinearAdapter withMode(AdapterMode newMode) {
        return new LinearAdapter(dim, weights, Objects.requireNonNull(newMode, "mode"), normalize);
    }

    /**
     * {@code W v}, then L2-normalised when configured. A zero result stays zero rather than
     * becoming NaN: a NaN vector would poison every score it touches in the index.
     */
    public float[] apply(float[] v) {
        if (v.length != dim) {
            throw new IllegalArgumentException("vector has dimension " + v.length + ", adapter has " + dim);
        }
        float[] out = new float[dim];
        double norm2 = 0;
        for (int r = 0; r < dim; r++) {
            int base = r * dim;
            double s = 0;
            for (int c = 0; c < dim; c++) {
                s += weights[base + c] * v[c];
            }
            out[r] = (float) s;
            norm2 += s * s;
        }
        if (normalize) {
            scaleToUnit(out, norm2);
        }
        return out;
    }

    /** {@link #apply} on each vector, in order. */
    public List<float[]> applyAll(List<float[]> vectors) {
        List<float[]> out = new ArrayList<>(vectors.size());
        for (float[] v : vectors) {
            out.add(apply(v));
        }
        return out;
    }

    /** The query-side transform: always {@link #apply}. */
    public float[] applyQuery(float[] query) {
        return apply(query);
    }

    /**
     * The document-side transform: {@link #apply} when {@link AdapterMode#SYMMETRIC}; otherwise the
     * base vector (normalised when configured), i.e. what is already in the index.
     */
    public float[] applyDocument(float[] document) {
        if (mode == AdapterMode.SYMMETRIC) {
            return apply(document);
        }
        if (document.length != dim) {
            throw new IllegalArgumentException("vector has dimension " + document.length + ", adapter has " + dim);
        }
        float[] out = document.clone();
        if (normalize) {
            double n2 = 0;
            for (float f : out) {
                n2 += (double) f * f;
            }
            scaleToUnit(out, n2);
        }
        return out;
    }

    private static void scaleToUnit(float[] v, double norm2) {
        if (norm2 > 0) {
            double inv = 1.0 / Math.sqrt(norm2);
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] * inv);
            }
        }
    }

    /** Largest |W[i] − other.W[i]|; infinite when the dimensions differ. */
    public double maxAbsDifference(LinearAdapter other) {
        if (other.dim != dim) {
            return Double.POSITIVE_INFINITY;
        }
        double m = 0;
        for (int i = 0; i < weights.length; i++) {
            m = Math.max(m, Math.abs(weights[i] - other.weights[i]));
        }
        return m;
    }

    /** Frobenius norm ‖W − I‖: how far training moved the adapter from the base model. */
    public double distanceFromIdentity() {
        double s = 0;
        for (int r = 0; r < dim; r++) {
            for (int c = 0; c < dim; c++) {
                double d = weights[r * dim + c] - (r == c ? 1.0 : 0.0);
                s += d * d;
            }
        }
        return Math.sqrt(s);
    }

    /** Whether W is exactly the identity. */
    public boolean isIdentity() {
        return distanceFromIdentity() == 0.0;
    }

    // ---- serialisation ----

    /** Writes the binary format (see class doc). The stream is not closed. */
    public void writeTo(OutputStream out) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(MAGIC).putInt(VERSION).putInt(dim).putInt(flags());
        out.write(header.array());
        // One row per chunk keeps the buffer small for d = 384 while avoiding per-float writes.
        ByteBuffer row = ByteBuffer.allocate(dim * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < dim; r++) {
            row.clear();
            for (int c = 0; c < dim; c++) {
                row.putFloat(weights[r * dim + c]);
            }
            out.write(row.array());
        }
    }

    private int flags() {
        return (normalize ? 1 : 0) | (mode == AdapterMode.QUERY_ONLY ? 2 : 0);
    }

    /** The binary format as bytes. */
    public byte[] toBytes() {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(HEADER_BYTES + dim * dim * Float.BYTES);
        try {
            writeTo(bos);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen for a byte array
        }
        return bos.toByteArray();
    }

    /**
     * Reads one adapter and expects the stream to end right after it.
     *
     * @throws IOException on a malformed or truncated file
     */
    public static LinearAdapter readFrom(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte[] head = new byte[HEADER_BYTES];
        try {
            data.readFully(head);
        } catch (EOFException e) {
            throw new IOException("adapter file truncated in header", e);
        }
        ByteBuffer h = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        int magic = h.getInt();
        int version = h.getInt();
        int dim = h.getInt();
        int flags = h.getInt();
        if (magic != MAGIC) {
            throw new IOException("not an adapter file (bad magic 0x" + Integer.toHexString(magic) + ")");
        }
        if (version != VERSION) {
            throw new IOException("unsupported adapter format version " + version);
        }
        if (dim <= 0 || dim > MAX_DIM) {
            throw new IOException("bad adapter dimension " + dim);
        }
        if ((flags & ~3) != 0) {
            throw new IOException("unknown adapter flags 0x" + Integer.toHexString(flags));
        }
        byte[] body = new byte[dim * dim * Float.BYTES];
        try {
            data.readFully(body);
        } catch (EOFException e) {
            throw new IOException("adapter file truncated in weights", e);
        }
        if (data.read() != -1) {
            throw new IOException("trailing bytes after adapter weights");
        }
        float[] w = new float[dim * dim];
        ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(w);
        for (float f : w) {
            if (!Float.isFinite(f)) {
                throw new IOException("adapter file holds non-finite weights");
            }
        }
        AdapterMode mode = (flags & 2) != 0 ? AdapterMode.QUERY_ONLY : AdapterMode.SYMMETRIC;
        return new LinearAdapter(dim, w, mode, (flags & 1) != 0);
    }

    /** {@link #readFrom} over a byte array. */
    public static LinearAdapter fromBytes(byte[] bytes) throws IOException {
        return readFrom(new ByteArrayInputStream(bytes));
    }

    /**
     * Writes to {@code file} through a sibling temporary file and a rename, so that a reader never
     * sees a half-written adapter.
     */
    public void save(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, toBytes());
            try {
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads an adapter written by {@link #save}. */
    public static LinearAdapter load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return readFrom(new java.io.BufferedInputStream(in));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LinearAdapter a && a.dim == dim && a.mode == mode
                && a.normalize == normalize && Arrays.equals(a.weights, weights);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dim, mode, normalize, Arrays.hashCode(weights));
    }

    @Override
    public String toString() {
        return "LinearAdapter[d=" + dim + ", mode=" + mode + ", normalize=" + normalize
                + ", |W-I|=" + String.format(java.util.Locale.ROOT, "%.4f", distanceFromIdentity()) + "]";
    }
}
