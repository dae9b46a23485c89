package dev.embedloop.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Generates seeded random document-topic records from classes of input, each with what must
 * become of it: valid documents (plain, long, unicode, noisy, deep-but-allowed metadata, extreme
 * but storable numbers, huge), sequences on one document (stale versions, republishes, tombstones),
 * every invalid class with its exact dead-letter error, inputs only a later stage refuses (text
 * without tokens; with {@code poison}, markers that make the chunker, the encoder or Qdrant fail),
 * and mutations of valid events (flipped, inserted or deleted bytes, truncation, random bytes) whose
 * fate is unknown but must be one: dead-lettered, or indexed.
 *
 * <p>Nothing is replayed from a list: every record is built from its class and the seed.
 */
public final class DocumentFuzz {

    /** What must become of a record. */
    public enum Outcome {
        /** Indexed: present at the end (unless a later record of the same document says otherwise). */
        INDEXED,
        /** A tombstone: deleted. */
        DELETED,
        /** Dead-lettered with {@link Case#error()} (any class when null). */
        DEAD_LETTER,
        /** Part of a sequence: indexed, skipped or superseded, never dead-lettered. */
        NOT_DEAD_LETTERED,
        /** A mutation: either dead-lettered, or indexed and present at the end. */
        UNKNOWN
    }

    /**
     * One record.
     *
     * @param kind the generator class, for messages
     * @param id the document id the record is about (null when the key is not a usable id)
     * @param finalPresent for the last record of a document: whether it must be indexed at the end
     *     (null: no expectation from this record)
     */
    public record Case(String kind, byte[] key, byte[] value, Outcome outcome, String error, String id,
            Boolean finalPresent) {
        @Override
        public String toString() {
            return kind + " id=" + id + " (" + (value == null ? "tombstone" : value.length + " bytes") + ")";
        }
    }

    /** Options of a corpus. */
    /**
     * @param poison include records with markers that make the test's chunker, encoder or sink fail
     * @param huge include valid texts of 3/4 the text limit and texts whose JSON escapes exceed a record
     */
    public record Options(long maxTextBytes, boolean poison, boolean huge) {}

    public static final String CHUNKER_POISON = "zzchunkerpoisonzz";
    public static final String ENCODER_POISON = "zzencoderpoisonzz";

    private static final String[] WORDS = ("the pressure distribution over a swept wing at supersonic speed was measured"
            + " boundary layer transition heat transfer laminar turbulent flow separation shock wave nozzle"
            + " sourdough bread yeast flour water salt oven crust crumb fermentation starter").split(" ");
    private static final String[] UNICODE = {"café", "naïve", "Ünïcödé", "😀", "北京", "Ελληνικά", "русский", "עברית",
            "العربية", "🇫🇷", "𝔘𝔫𝔦", "a\u0301", "ﬁ", "Ⅻ"};
    private static final String[] NOISE = {"\u0000", "\u0001", "\u001f", "\u007f", "\u0085", "\u00a0", "\u00ad",
            "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u2028", "\u3000", "\ud800", "\udc00",
            "\udbff", "\t", "\r\n"};
    private static final String[] INVISIBLE = {"\u00a0", "\u200b", "\u0000", "\u00ad", "\u200c", "\ufeff", "\u2060",
            "\u0001", "\u007f", "\u3000", "\u2028", " ", "\t", "\n", "\u202e", "\u180e", "\ud800", "\udbff"};

    private final Random random;
    private final Options options;
    private final String prefix;
    private int next;
    private final Map<String, Integer> kinds = new LinkedHashMap<>();

    public DocumentFuzz(long seed, Options options) {
        this.random = new Random(seed);
        this.options = options;
        this.prefix = "f" + Long.toHexString(seed & 0xffffff) + "-";
    }

    /** How many records of each class the last {@link #generate} made. */
    public Map<String, Integer> kinds() {
        return kinds;
    }

    /** At least {@code n} records (a sequence may add a few more). */
    public List<Case> generate(int n) {
        List<Generator> generators = generators();
        int total = 0;
        for (Generator g : generators) {
            total += g.weight;
        }
        List<Case> out = new ArrayList<>(n + 8);
        while (out.size() < n) {
            int pick = random.nextInt(total);
            for (Generator g : generators) {
                pick -= g.weight;
                if (pick < 0) {
                    List<Case> made = g.make.get();
                    kinds.merge(g.name, made.size(), Integer::sum);
                    out.addAll(made);
                    break;
                }
            }
        }
        return out;
    }

    private record Generator(String name, int weight, Supplier<List<Case>> make) {}

    private List<Generator> generators() {
        List<Generator> g = new ArrayList<>();
        // valid documents
        g.add(new Generator("valid-plain", 60, () -> valid("valid-plain", doc(fresh(), maybeTitle(), words(3, 60), maybeMetadata(), maybeVersion(), random.nextBoolean()))));
        g.add(new Generator("valid-long", 8, () -> valid("valid-long", doc(fresh(), maybeTitle(), words(300, 2500), maybeMetadata(), null, true))));
        g.add(new Generator("valid-unicode", 12, () -> valid("valid-unicode", doc(fresh(), unicodeWords(2), unicodeWords(5, 80), maybeMetadata(), null, true))));
        g.add(new Generator("valid-noisy", 15, () -> valid("valid-noisy", doc(fresh(), noisyWords(1, 4), noisyWords(3, 60), noisyMetadata(), null, true))));
        g.add(new Generator("valid-deep-metadata", 6, () -> valid("valid-deep-metadata", doc(fresh(), null, words(3, 20), nested(1 + random.nextInt(19), "ok"), null, true))));
        g.add(new Generator("valid-extreme-numbers", 6, () -> valid("valid-extreme-numbers", doc(fresh(), null, words(3, 20), extremeButStorableNumbers(), (long) random.nextInt(Integer.MAX_VALUE), true))));
        g.add(new Generator("valid-title-only", 4, () -> valid("valid-title-only", doc(fresh(), words(1, 12),
                random.nextBoolean() ? "" : repeat(INVISIBLE, 1, 10), maybeMetadata(), null, random.nextBoolean()))));
        g.add(new Generator("valid-no-whitespace", 2, () -> valid("valid-no-whitespace", doc(fresh(), null, "x".repeat(20_000 + random.nextInt(60_000)), null, null, true))));
        if (options.huge()) {
            g.add(new Generator("valid-huge", 1, () -> valid("valid-huge", doc(fresh(), null, wordsOfBytes(options.maxTextBytes() * 3 / 4), null, null, true))));
        }
        // sequences on one document
        g.add(new Generator("seq-stale-version", 6, this::staleVersion));
        g.add(new Generator("seq-republish", 6, this::republish));
        g.add(new Generator("seq-delete", 6, this::deleteAfter));
        g.add(new Generator("seq-delete-readd", 3, this::deleteReadd));
        g.add(new Generator("tombstone-unknown", 4, () -> List.of(new Case("tombstone-unknown", bytes(idOf()), null, Outcome.DELETED, null, lastId, false))));
        // invalid: exact classes
        g.add(new Generator("missing-key", 5, () -> dlq("missing-key", random.nextBoolean() ? null : new byte[0], docBytes("k", words(2, 5)), "MISSING_KEY")));
        g.add(new Generator("key-too-large", 3, () -> dlq("key-too-large", bytes(fresh() + "k".repeat(1025 + random.nextInt(5000))), docBytes(null, words(2, 5)), "KEY_TOO_LARGE")));
        g.add(new Generator("invalid-utf8-key", 3, () -> dlq("invalid-utf8-key", invalidUtf8(), docBytes(null, words(2, 5)), "INVALID_UTF8")));
        g.add(new Generator("invalid-utf8-value", 8, this::invalidUtf8Value));
        g.add(new Generator("bad-json", 25, this::badJson));
        g.add(new Generator("trailing-garbage", 8, this::trailingGarbage));
        g.add(new Generator("duplicate-keys", 6, this::duplicateKeys));
        g.add(new Generator("too-deep-json", 2, () -> dlq("too-deep-json", bytes(fresh()), deepJson(1001 + random.nextInt(3000)), "BAD_JSON")));
        g.add(new Generator("wrong-type", 20, this::wrongType));
        g.add(new Generator("number-out-of-range", 8, this::numberOutOfRange));
        g.add(new Generator("missing-text", 20, this::missingText));
        g.add(new Generator("id-mismatch", 5, () -> {
            String id = fresh();
            return dlq("id-mismatch", bytes(id), bytes("{\"id\":" + quote(id + "x") + ",\"text\":\"hello\"}"), "ID_MISMATCH");
        }));
        g.add(new Generator("text-too-large", 2, () -> dlq("text-too-large", bytes(fresh()),
                docBytes(null, wordsOfBytes(options.maxTextBytes() + 1 + random.nextInt(1000))), "TEXT_TOO_LARGE")));
        if (options.huge()) {
            g.add(new Generator("escapes-too-large", 1, this::escapesTooLarge));
        }
        g.add(new Generator("title-too-large", 3, () -> dlq("title-too-large", bytes(fresh()),
                bytes(json(null, "t".repeat(8193 + random.nextInt(20_000)), "text", null, null)), "TITLE_TOO_LARGE")));
        g.add(new Generator("metadata-too-deep", 8, () -> dlq("metadata-too-deep", bytes(fresh()),
                bytes(json(null, null, words(2, 5), nested(21 + random.nextInt(880), "deep"), null)), "METADATA_TOO_DEEP")));
        g.add(new Generator("metadata-too-large", 3, () -> dlq("metadata-too-large", bytes(fresh()),
                bytes(json(null, null, words(2, 5), "{\"blob\":" + quote("m".repeat(65_537 + random.nextInt(10_000))) + "}", null)), "METADATA_TOO_LARGE")));
        g.add(new Generator("metadata-key-too-long", 3, () -> dlq("metadata-key-too-long", bytes(fresh()),
                bytes(json(null, null, words(2, 5), "{\"a\":{" + quote("k".repeat(257 + random.nextInt(2000))) + ":1}}", null)), "METADATA_KEY_TOO_LONG")));
        // refused after validation
        g.add(new Generator("no-tokens", 4, () -> dlq("no-tokens", bytes(fresh()), docBytes(null, repeat(new String[] {"\u0301", "\u0308", "\u0327", "\u0300"}, 1, 8)), "MISSING_TEXT")));
        if (options.poison()) {
            g.add(new Generator("chunker-fails", 3, () -> poisoned("chunker-fails", CHUNKER_POISON, "CHUNK_FAILED")));
            g.add(new Generator("encoder-fails", 3, () -> poisoned("encoder-fails", ENCODER_POISON, "ENCODE_FAILED")));
            g.add(new Generator("qdrant-rejects", 3, () -> poisoned("qdrant-rejects", QdrantLikeSink.REJECT_MARKER, "QDRANT_REJECTED")));
            g.add(new Generator("qdrant-fails-on-it", 2, () -> poisoned("qdrant-fails-on-it", QdrantLikeSink.AMBIGUOUS_MARKER, "QDRANT_REJECTED")));
        }
        // mutations of valid events, and random bytes
        g.add(new Generator("mutated", 40, this::mutated));
        g.add(new Generator("random-bytes", 8, () -> List.of(new Case("random-bytes", bytes(fresh()), randomBytes(random.nextInt(200)), Outcome.DEAD_LETTER, null, lastId, false))));
        return g;
    }

    // ---- classes

    private List<Case> valid(String kind, String json) {
        return List.of(new Case(kind, bytes(lastId), bytes(json), Outcome.INDEXED, null, lastId, true));
    }

    private List<Case> dlq(String kind, byte[] key, byte[] value, String error) {
        // only a key that is the last fresh id names a document that must stay absent
        String id = key != null && lastId != null && Arrays.equals(key, bytes(lastId)) ? lastId : null;
        return List.of(new Case(kind, key, value, Outcome.DEAD_LETTER, error, id, id == null ? null : false));
    }

    private List<Case> staleVersion() {
        String id = fresh();
        long v = 2 + random.nextInt(1000);
        return List.of(
                new Case("seq-stale-version", bytes(id), bytes(doc(id, null, "newer " + words(2, 10), null, v, true)), Outcome.NOT_DEAD_LETTERED, null, id, null),
                new Case("seq-stale-version", bytes(id), bytes(doc(id, null, "older " + words(2, 10), null, v - 1 - random.nextInt((int) v - 1), true)), Outcome.NOT_DEAD_LETTERED, null, id, true));
    }

    private List<Case> republish() {
        String id = fresh();
        byte[] value = bytes(doc(id, maybeTitle(), words(2, 20), maybeMetadata(), 1L, true));
        return List.of(new Case("seq-republish", bytes(id), value, Outcome.NOT_DEAD_LETTERED, null, id, null),
                new Case("seq-republish", bytes(id), value, Outcome.NOT_DEAD_LETTERED, null, id, true));
    }

    private List<Case> deleteAfter() {
        String id = fresh();
        return List.of(new Case("seq-delete", bytes(id), bytes(doc(id, null, words(2, 400), null, null, true)), Outcome.NOT_DEAD_LETTERED, null, id, null),
                new Case("seq-delete", bytes(id), null, Outcome.DELETED, null, id, false));
    }

    private List<Case> deleteReadd() {
        String id = fresh();
        return List.of(new Case("seq-delete-readd", bytes(id), bytes(doc(id, null, words(2, 20), null, null, true)), Outcome.NOT_DEAD_LETTERED, null, id, null),
                new Case("seq-delete-readd", bytes(id), null, Outcome.DELETED, null, id, null),
                new Case("seq-delete-readd", bytes(id), bytes(doc(id, null, words(2, 20), null, null, true)), Outcome.NOT_DEAD_LETTERED, null, id, true));
    }

    private List<Case> invalidUtf8Value() {
        String id = fresh();
        byte[] good = bytes(doc(id, null, words(2, 10), null, null, true));
        byte[] bad = invalidUtf8();
        int at = 1 + random.nextInt(good.length - 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(good, 0, at);
        out.writeBytes(bad);
        out.write(good, at, good.length - at);
        return dlq("invalid-utf8-value", bytes(id), out.toByteArray(), "INVALID_UTF8");
    }

    private List<Case> badJson() {
        String id = fresh();
        String text = words(1, 5);
        String[] bad = {
            "{\"text\": " + quote(text),                        // truncated
            "{text: \"x\"}",                                    // unquoted name
            "{'text': 'x'}",                                    // single quotes
            "[" + quote(text) + "]", quote(text), "42", "null", "true", "", "   ", "\n",
            "{\"text\": \"x\",}",                               // trailing comma
            "{\"text\": \"x\" /* comment */}",
            "{\"text\": NaN}", "{\"text\": \"x\", \"metadata\": {\"n\": Infinity}}",
            "\ufeff{\"text\": \"x\"}",                          // BOM
            "{\"text\": \"a\u0001b\"}",                         // raw control character in a string
            "{\"text\": \"\\uZZZZ\"}",                          // bad escape
            "{\"text\": \"x\"",                                 // unterminated object
            "{\"text\" \"x\"}",
            "{\"text\": 01}",
        };
        return dlq("bad-json", bytes(id), bytes(bad[random.nextInt(bad.length)]), "BAD_JSON");
    }

    private List<Case> trailingGarbage() {
        String id = fresh();
        String good = doc(id, null, words(1, 10), null, null, random.nextBoolean());
        String[] tails = {" trailing garbage", "}", "{}", " " + good, "\n{\"text\":\"second\"}", "x", " 42", "]", " null"};
        return dlq("trailing-garbage", bytes(id), bytes(good + tails[random.nextInt(tails.length)]), "BAD_JSON");
    }

    private List<Case> duplicateKeys() {
        String id = fresh();
        String[] values = {
            "{\"text\":\"a\",\"text\":\"b\"}",
            "{\"id\":" + quote(id) + ",\"id\":" + quote(id) + ",\"text\":\"a\"}",
            "{\"text\":\"a\",\"metadata\":{\"k\":1,\"k\":2}}",
            "{\"text\":\"a\",\"metadata\":{\"x\":{\"k\":1,\"k\":1}}}",
        };
        return dlq("duplicate-keys", bytes(id), bytes(values[random.nextInt(values.length)]), "BAD_JSON");
    }

    private List<Case> wrongType() {
        String id = fresh();
        String[] values = {
            "{\"text\": 42}", "{\"text\": [\"a\"]}", "{\"text\": {\"a\": 1}}", "{\"text\": true}",
            "{\"text\": \"a\", \"title\": 7}", "{\"text\": \"a\", \"title\": [\"t\"]}",
            "{\"text\": \"a\", \"metadata\": [1, 2]}", "{\"text\": \"a\", \"metadata\": \"m\"}", "{\"text\": \"a\", \"metadata\": 3}",
            "{\"text\": \"a\", \"id\": 7}", "{\"text\": \"a\", \"version\": \"7\"}", "{\"text\": \"a\", \"version\": 1.5}",
            "{\"text\": \"a\", \"version\": -1}", "{\"text\": \"a\", \"version\": 1e3}", "{\"text\": \"a\", \"version\": true}",
        };
        return dlq("wrong-type", bytes(id), bytes(values[random.nextInt(values.length)]), "WRONG_TYPE");
    }

    private List<Case> numberOutOfRange() {
        String id = fresh();
        String[] values = {
            "{\"text\": \"a\", \"version\": 9223372036854775808}",
            "{\"text\": \"a\", \"version\": " + "9".repeat(30 + random.nextInt(300)) + "}",
            "{\"text\": \"a\", \"metadata\": {\"n\": 1e400}}",
            "{\"text\": \"a\", \"metadata\": {\"n\": -1e999}}",
            "{\"text\": \"a\", \"metadata\": {\"n\": " + "1".repeat(25 + random.nextInt(500)) + "}}",
            "{\"text\": \"a\", \"metadata\": {\"a\": [1, 2, {\"n\": -" + "7".repeat(20 + random.nextInt(50)) + "}]}}",
        };
        return dlq("number-out-of-range", bytes(id), bytes(values[random.nextInt(values.length)]), "NUMBER_OUT_OF_RANGE");
    }

    private List<Case> missingText() {
        String id = fresh();
        int pick = random.nextInt(6);
        String value = switch (pick) {
            case 0 -> "{\"title\": \"no text\"}";
            case 1 -> "{\"text\": null, \"title\": \"t\"}";
            case 2 -> "{\"text\": \"\"}";
            default -> json(null, random.nextBoolean() ? repeat(INVISIBLE, 1, 5) : null, repeat(INVISIBLE, 1, 30), null, null);
        };
        return dlq("missing-text", bytes(id), bytes(value), "MISSING_TEXT");
    }

    private List<Case> escapesTooLarge() {
        // under index.max-text-bytes as UTF-8, but control characters escape to 6 bytes each in JSON
        long n = options.maxTextBytes() - 10;
        StringBuilder sb = new StringBuilder((int) n);
        while (sb.length() < n) {
            sb.append(sb.length() % 64 == 0 ? 'a' : '\u0001');
        }
        String id = fresh();
        long stored = 6 * n;
        if (stored < dev.embedloop.config.EmbedloopConfig.Topics.recordBytesFor(options.maxTextBytes())) {
            // such a text fits at this limit: it must be indexed
            return valid("escapes-fit", json(null, null, sb.toString(), null, null));
        }
        return dlq("escapes-too-large", bytes(id), bytes(json(null, null, sb.toString(), null, null)), "TEXT_TOO_LARGE");
    }

    private List<Case> poisoned(String kind, String marker, String error) {
        String id = fresh();
        String text;
        if (random.nextBoolean()) {
            text = words(2, 30) + " " + marker + " " + words(0, 30);
        } else {
            // deep in a long document: earlier chunks are written before the marker's chunk fails
            text = words(600, 1500) + " " + marker + " " + words(0, 200);
        }
        return dlq(kind, bytes(id), bytes(doc(id, maybeTitle(), text, maybeMetadata(), null, true)), error);
    }

    private List<Case> mutated() {
        String id = fresh();
        byte[] v = bytes(doc(id, maybeTitle(), words(1, 30), maybeMetadata(), maybeVersion(), random.nextBoolean()));
        int op = random.nextInt(7);
        byte[] m;
        switch (op) {
            case 0 -> { // flip a few bytes
                m = v.clone();
                for (int i = 0, k = 1 + random.nextInt(3); i < k; i++) {
                    m[random.nextInt(m.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> m = Arrays.copyOf(v, random.nextInt(v.length)); // truncate
            case 2 -> { // insert random bytes
                int at = random.nextInt(v.length + 1);
                byte[] ins = randomBytes(1 + random.nextInt(8));
                m = new byte[v.length + ins.length];
                System.arraycopy(v, 0, m, 0, at);
                System.arraycopy(ins, 0, m, at, ins.length);
                System.arraycopy(v, at, m, at + ins.length, v.length - at);
            }
            case 3 -> { // delete a range
                int from = random.nextInt(v.length);
                int to = Math.min(v.length, from + 1 + random.nextInt(10));
                m = new byte[v.length - (to - from)];
                System.arraycopy(v, 0, m, 0, from);
                System.arraycopy(v, to, m, from, v.length - to);
            }
            case 4 -> { // replace a byte with a JSON-significant one
                m = v.clone();
                byte[] specials = bytes("{}[]\",:\\ 0-eE\u0000");
                m[random.nextInt(m.length)] = specials[random.nextInt(specials.length)];
            }
            case 5 -> { // swap two ranges' bytes
                m = v.clone();
                int a = random.nextInt(m.length);
                int b = random.nextInt(m.length);
                byte t = m[a];
                m[a] = m[b];
                m[b] = t;
            }
            default -> { // a random JSON escape inserted into a string
                String s = new String(v, StandardCharsets.UTF_8);
                int at = s.indexOf("\"text\":\"");
                String[] escapes = {"\\ud800", "\\udfff", "\\u0000", "\\u00a0", "\\u200b", "\\\\", "\\\"", "\\n", "\\ud83d\\ude00", "\\uDBFF\\uDFFF"};
                m = bytes(at < 0 ? s : s.substring(0, at + 8) + escapes[random.nextInt(escapes.length)] + s.substring(at + 8));
            }
        }
        return List.of(new Case("mutated-" + op, bytes(id), m, Outcome.UNKNOWN, null, id, null));
    }

    // ---- pieces

    private String lastId;

    private String fresh() {
        lastId = prefix + (next++);
        return lastId;
    }

    private String idOf() {
        return fresh();
    }

    private String words(int min, int max) {
        int n = min + random.nextInt(Math.max(1, max - min + 1));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(random.nextInt(20) == 0 ? "\n" : " ");
            }
            sb.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return n == 0 ? "" : sb.toString();
    }

    private String wordsOfBytes(long bytes) {
        StringBuilder sb = new StringBuilder((int) bytes + 16);
        while (sb.length() < bytes) {
            sb.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
        }
        sb.setLength((int) bytes);
        sb.setCharAt(sb.length() - 1, 'z');
        return sb.toString();
    }

    private String unicodeWords(int n) {
        return unicodeWords(n, n);
    }

    private String unicodeWords(int min, int max) {
        int n = min + random.nextInt(max - min + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(random.nextBoolean() ? UNICODE[random.nextInt(UNICODE.length)] : WORDS[random.nextInt(WORDS.length)]).append(' ');
        }
        sb.append("word");
        return sb.toString();
    }

    private String noisyWords(int min, int max) {
        int n = min + random.nextInt(max - min + 1);
        StringBuilder sb = new StringBuilder("readable");
        for (int i = 0; i < n; i++) {
            sb.append(random.nextInt(3) == 0 ? NOISE[random.nextInt(NOISE.length)] : " ");
            sb.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }

    private String repeat(String[] pieces, int min, int max) {
        int n = min + random.nextInt(max - min + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(pieces[random.nextInt(pieces.length)]);
        }
        return sb.toString();
    }

    private String maybeTitle() {
        return random.nextInt(3) == 0 ? null : words(1, 6);
    }

    private Long maybeVersion() {
        return random.nextBoolean() ? null : (long) random.nextInt(1000);
    }

    private String maybeMetadata() {
        return switch (random.nextInt(4)) {
            case 0 -> null;
            case 1 -> "{\"lang\":\"en\",\"n\":" + random.nextInt(100) + "}";
            case 2 -> "{\"tags\":[\"a\",\"b\"],\"score\":" + random.nextDouble() + ",\"ok\":true,\"none\":null}";
            default -> "{}";
        };
    }

    private String noisyMetadata() {
        String key = "k" + NOISE[random.nextInt(NOISE.length)];
        return "{" + quote(key) + ":" + quote("v" + NOISE[random.nextInt(NOISE.length)] + "v") + ",\"😀\":" + quote("\ud800") + "}";
    }

    private String extremeButStorableNumbers() {
        return "{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"big\":1.7976931348623157e308,"
                + "\"tiny\":4.9e-324,\"under\":1e-400,\"neg0\":-0.0,\"exp\":1E+2,\"frac\":0.1}";
    }

    /** A metadata object nested {@code depth} levels (the object itself is level 1), objects and arrays mixed. */
    private String nested(int depth, String leaf) {
        StringBuilder inner = new StringBuilder(quote(leaf));
        for (int level = depth; level >= 1; level--) {
            if (level == 1 || random.nextBoolean()) {
                inner.insert(0, "{\"a" + level + "\":").append('}');
            } else {
                inner.insert(0, '[').append(']');
            }
        }
        return inner.toString();
    }

    private byte[] deepJson(int depth) {
        return bytes("{\"text\":\"a\",\"metadata\":{\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}}");
    }

    private byte[] invalidUtf8() {
        byte[][] bad = {
            {(byte) 0xC3, (byte) 0x28}, {(byte) 0xA0}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x28, (byte) 0x8C, (byte) 0xBC},
            {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xFF}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
        };
        return bad[random.nextInt(bad.length)];
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private byte[] docBytes(String id, String text) {
        return bytes(json(id, null, text, null, null));
    }

    private String doc(String id, String title, String text, String metadataJson, Long version, boolean withId) {
        return json(withId ? id : null, title, text, metadataJson, version);
    }

    private static String json(String id, String title, String text, String metadataJson, Long version) {
        StringBuilder sb = new StringBuilder("{");
        if (id != null) {
            sb.append("\"id\":").append(quote(id)).append(',');
        }
        if (title != null) {
            sb.append("\"title\":").append(quote(title)).append(',');
        }
        sb.append("\"text\":").append(quote(text));
        if (metadataJson != null) {
            sb.append(",\"metadata\":").append(metadataJson);
        }
        if (version != null) {
            sb.append(",\"version\":").append(version);
        }
        return sb.append('}').toString();
    }

    /** A JSON string literal; lone surrogates and control characters as \\u escapes. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || Character.isSurrogate(c) && !pairedAt(s, i)) {
                sb.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15]).append(HEX[c >> 4 & 15]).append(HEX[c & 15]);
            } else if (Character.isHighSurrogate(c)) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static boolean pairedAt(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }

    public static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Checks every case against what happened: {@code letters} are the error classes of the dead
     * letters of each case (by its index), {@code present} tells whether a document has points at
     * the end. Returns the problems found, one line each (empty when all is well).
     */
    public static List<String> check(List<Case> cases, Map<Integer, List<String>> letters,
            java.util.function.Predicate<String> present) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            List<String> mine = letters.getOrDefault(i, List.of());
            if (mine.size() > 1) {
                problems.add("#" + i + " " + c + ": dead-lettered " + mine.size() + " times " + mine);
            }
            switch (c.outcome()) {
                case DEAD_LETTER -> {
                    if (mine.isEmpty()) {
                        problems.add("#" + i + " " + c + ": expected a dead letter " + c.error() + ", got none");
                    } else if (c.error() != null && !c.error().equals(mine.get(0))) {
                        problems.add("#" + i + " " + c + ": expected " + c.error() + ", dead-lettered as " + mine.get(0));
                    }
                }
                case INDEXED, DELETED, NOT_DEAD_LETTERED -> {
                    if (!mine.isEmpty()) {
                        problems.add("#" + i + " " + c + ": dead-lettered as " + mine.get(0) + ", expected " + c.outcome());
                    }
                }
                case UNKNOWN -> {
                    boolean dead = !mine.isEmpty();
                    boolean there = present.test(c.id());
                    if (dead == there) {
                        problems.add("#" + i + " " + c + ": " + (dead ? "both dead-lettered and indexed" : "neither dead-lettered nor indexed"));
                    }
                }
            }
            if (c.finalPresent() != null && c.id() != null && present.test(c.id()) != c.finalPresent()) {
                problems.add("#" + i + " " + c + ": expected " + (c.finalPresent() ? "indexed" : "absent") + " at the end");
            }
        }
        return problems;
    }
}
