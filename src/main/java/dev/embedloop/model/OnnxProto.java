package dev.embedloop.model;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The few pieces of the ONNX protobuf schema ({@code onnx/onnx.proto}) the adapter export reads
 * and writes, by field number, without generated classes.
 */
final class OnnxProto {

    // ModelProto
    static final int MODEL_GRAPH = 7;
    // GraphProto
    static final int GRAPH_NODE = 1;
    static final int GRAPH_INITIALIZER = 5;
    static final int GRAPH_INPUT = 11;
    static final int GRAPH_OUTPUT = 12;
    // NodeProto
    static final int NODE_INPUT = 1;
    static final int NODE_OUTPUT = 2;
    static final int NODE_NAME = 3;
    static final int NODE_OP_TYPE = 4;
    static final int NODE_ATTRIBUTE = 5;
    // AttributeProto
    static final int ATTR_NAME = 1;
    static final int ATTR_I = 3;
    static final int ATTR_TYPE = 20;
    static final int ATTR_TYPE_INT = 2;
    // TensorProto
    static final int TENSOR_DIMS = 1;
    static final int TENSOR_DATA_TYPE = 2;
    static final int TENSOR_NAME = 8;
    static final int TENSOR_RAW_DATA = 9;
    static final int DATA_TYPE_FLOAT = 1;
    // ValueInfoProto / TypeProto / TypeProto.Tensor / TensorShapeProto / Dimension
    static final int VALUE_INFO_NAME = 1;
    static final int VALUE_INFO_TYPE = 2;
    static final int TYPE_TENSOR = 1;
    static final int TENSOR_TYPE_ELEM = 1;
    static final int TENSOR_TYPE_SHAPE = 2;
    static final int SHAPE_DIM = 1;
    static final int DIM_VALUE = 1;
    static final int DIM_PARAM = 2;

    private OnnxProto() {}

    /** One top-level field of a message: its bytes {@code [start, end)} (tag included) and, when length-delimited, its payload. */
    record Field(int number, int start, int end, int payloadStart, int payloadEnd) {
        int length() {
            return end - start;
        }
    }

    /** The fields of the message in {@code bytes[from, to)}, in order. */
    static List<Field> fields(byte[] bytes, int from, int to) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes, from, to - from);
        in.setSizeLimit(Integer.MAX_VALUE);
        in.setRecursionLimit(1000);
        List<Field> out = new ArrayList<>();
        while (true) {
            int start = from + in.getTotalBytesRead();
            int tag = in.readTag();
            if (tag == 0) {
                break;
            }
            int number = WireFormat.getTagFieldNumber(tag);
            if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int len = in.readRawVarint32();
                int payload = from + in.getTotalBytesRead();
                if (len < 0 || payload + len > to) {
                    throw new IOException("truncated ONNX protobuf (field " + number + " at byte " + start + ")");
                }
                in.skipRawBytes(len);
                out.add(new Field(number, start, payload + len, payload, payload + len));
            } else {
                in.skipField(tag);
                int end = from + in.getTotalBytesRead();
                out.add(new Field(number, start, end, start, end));
            }
        }
        return out;
    }

    static List<Field> fields(byte[] bytes, Field parent) throws IOException {
        return fields(bytes, parent.payloadStart(), parent.payloadEnd());
    }

    static String string(byte[] bytes, Field f) {
        return new String(bytes, f.payloadStart(), f.payloadEnd() - f.payloadStart(), StandardCharsets.UTF_8);
    }

    static long varint(byte[] bytes, Field f) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes, f.start(), f.end() - f.start());
        in.readTag();
        return in.readInt64();
    }

    /** One dimension of a tensor shape: its encoded Dimension message, and what it says. */
    record Dim(byte[] encoded, Long value, String param) {}

    /** What a graph output says about itself; {@code dims} is null when the shape is absent. */
    record ValueInfo(String name, int elemType, List<Dim> dims) {
        int rank() {
            return dims == null ? -1 : dims.size();
        }
    }

    static ValueInfo valueInfo(byte[] bytes, Field vi) throws IOException {
        String name = "";
        int elemType = 0;
        List<Dim> dims = null;
        for (Field f : fields(bytes, vi)) {
            if (f.number() == VALUE_INFO_NAME) {
                name = string(bytes, f);
            } else if (f.number() == VALUE_INFO_TYPE) {
                for (Field t : fields(bytes, f)) {
                    if (t.number() != TYPE_TENSOR) {
                        continue;
                    }
                    for (Field tt : fields(bytes, t)) {
                        if (tt.number() == TENSOR_TYPE_ELEM) {
                            elemType = (int) varint(bytes, tt);
                        } else if (tt.number() == TENSOR_TYPE_SHAPE) {
                            dims = new ArrayList<>();
                            for (Field d : fields(bytes, tt)) {
                                if (d.number() != SHAPE_DIM) {
                                    continue;
                                }
                                Long value = null;
                                String param = null;
                                for (Field df : fields(bytes, d)) {
                                    if (df.number() == DIM_VALUE) {
                                        value = varint(bytes, df);
                                    } else if (df.number() == DIM_PARAM) {
                                        param = string(bytes, df);
                                    }
                                }
                                byte[] enc = java.util.Arrays.copyOfRange(bytes, d.payloadStart(), d.payloadEnd());
                                dims.add(new Dim(enc, value, param));
                            }
                        }
                    }
                }
            }
        }
        return new ValueInfo(name, elemType, dims);
    }

    /** A small message under construction (nodes, value infos, the adapter initialiser). */
    static final class Msg {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final CodedOutputStream out = CodedOutputStream.newInstance(buf);

        Msg string(int field, String s) {
            try {
                out.writeString(field, s);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Msg int64(int field, long v) {
            try {
                out.writeInt64(field, v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Msg bytes(int field, byte[] b) {
            try {
                out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                out.writeUInt32NoTag(b.length);
                out.writeRawBytes(b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Msg message(int field, Msg m) {
            return bytes(field, m.toBytes());
        }

        byte[] toBytes() {
            try {
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return buf.toByteArray();
        }
    }

    /** Field {@code field} holding {@code payload}, encoded: tag, length, payload. */
    static byte[] lengthDelimited(int field, byte[] payload) {
        return new Msg().bytes(field, payload).toBytes();
    }
}
