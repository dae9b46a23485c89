package dev.embedloop.encode;

/** An encoder failed to turn texts into vectors (inference error, interruption, closed encoder). */
public class EncoderException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EncoderException(String message) {
        super(message);
    }

    public EncoderException(String message, Throwable cause) {
        super(message, cause);
    }
}
