package dev.embedloop.sparse;

import java.nio.charset.StandardCharsets;

/**
 * MurmurHash3 x86 32-bit of a string's UTF-8 bytes: the token id of Qdrant's BM25 sparse vectors
 * (FastEmbed's {@code Qdrant/bm25}, seed 0, the absolute value of the signed result), so vectors
 * written here can share a collection with Qdrant's own BM25 inference.
 */
public final class Murmur3 {

    private static final int C1 = 0xcc9e2d51;
    private static final int C2 = 0x1b873593;

    private Murmur3() {}

    /** The signed 32-bit hash of {@code text}'s UTF-8 bytes with {@code seed}. */
    public static int hash32(String text, int seed) {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        int h = seed;
        int blocks = data.length / 4;
        for (int i = 0; i < blocks; i++) {
            int k = (data[i * 4] & 0xff) | (data[i * 4 + 1] & 0xff) << 8 | (data[i * 4 + 2] & 0xff) << 16
                    | (data[i * 4 + 3] & 0xff) << 24;
            k *= C1;
            k = Integer.rotateLeft(k, 15);
            k *= C2;
            h ^= k;
            h = Integer.rotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        int tail = blocks * 4;
        int k = 0;
        switch (data.length & 3) {
            case 3:
                k ^= (data[tail + 2] & 0xff) << 16;
                // fall through
            case 2:
                k ^= (data[tail + 1] & 0xff) << 8;
                // fall through
            case 1:
                k ^= data[tail] & 0xff;
                k *= C1;
                k = Integer.rotateLeft(k, 15);
                k *= C2;
                h ^= k;
                break;
            default:
                break;
        }
        h ^= data.length;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    /**
     * The token id: {@code |hash32(token, 0)|} read as an unsigned 32-bit integer (Qdrant's sparse
     * indices are uint32), so the one hash whose absolute value does not fit an int, 2^31, keeps
     * its bit pattern.
     */
    public static int tokenId(String token) {
        int h = hash32(token, 0);
        return h == Integer.MIN_VALUE ? h : Math.abs(h);
    }
}
