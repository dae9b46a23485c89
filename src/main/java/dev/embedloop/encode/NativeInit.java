package dev.embedloop.encode;

/**
 * Serialises the creation of native objects (tokenizers, ONNX Runtime sessions, predictors).
 *
 * <p>Once, on a first run while the native libraries were being unpacked, two predictors created
 * at the same moment made the tokenizer's native code panic and abort the JVM; a native panic
 * cannot be caught in Java. Everything in this package that creates native objects does so
 * while holding {@link #LOCK}.
 */
final class NativeInit {

    static final Object LOCK = new Object();

    static {
        // DJL's tokenizer and engine "call home" to the EC2 metadata endpoint on creation unless
        // told not to; off EC2 that is a pointless network probe with a timeout at start-up.
        if (System.getProperty("OPT_OUT_TRACKING") == null && System.getenv("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    private NativeInit() {}

    /** Makes sure the static initialiser above has run. */
    static void init() {
        // nothing: loading the class is the point
    }
}
