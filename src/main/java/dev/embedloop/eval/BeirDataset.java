package dev.embedloop.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.events.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A retrieval test collection in the BEIR layout: {@code corpus.jsonl} ({@code _id}, {@code title},
 * {@code text}), {@code queries.jsonl} ({@code _id}, {@code text}) and one graded judgement file
 * per split, {@code qrels/<split>.tsv} ({@code query-id corpus-id score}, tab separated, with a
 * header line). Judgements are read per split with {@link #qrels(String)}.
 *
 * <p>Every problem is a {@link DatasetException} naming the file and, where there is one, the line.
 * An id given twice is not one: as BEIR's own loader does (a dictionary per file), the last line of
 * an id counts, at the place of its first, and the repeats are counted so that {@code eval} can say
 * so (MIRACL, for one, repeats ids in its corpus and judgements). The documents topic does the same
 * with a repeated key: the later event replaces the earlier. A UTF-8 byte order mark before the
 * first line is skipped.
 *
 * @param dir the data set directory
 * @param corpus the documents in file order, each id once
 * @param queries query id → query text, in file order
 * @param repeatedDocumentIds corpus lines whose {@code _id} an earlier line had
 * @param repeatedQueryIds query lines whose {@code _id} an earlier line had
 */
public record BeirDataset(Path dir, List<Document> corpus, Map<String, String> queries, int repeatedDocumentIds,
        int repeatedQueryIds) {

    public static final String CORPUS = "corpus.jsonl";
    public static final String QUERIES = "queries.jsonl";
    public static final String QRELS_DIR = "qrels";
    /** A UTF-8 byte order mark as the reader decodes it. */
    private static final String BOM = "\ufeff";

    public BeirDataset {
        Objects.requireNonNull(dir, "dir");
        corpus = List.copyOf(corpus);
        queries = Collections.unmodifiableMap(new LinkedHashMap<>(queries));
    }

    /**
     * One corpus document as the BEIR file has it.
     *
     * @param id {@code _id}
     * @param title {@code title}, null when absent
     * @param text {@code text}, may be empty (the indexer reads the title alone then, and dead-letters
     *     the document when that is empty too)
     */
    public record Document(String id, String title, String text) {
        public Document {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(text, "text");
        }
    }

    /** A data set file that is missing or malformed; the message names the file and the line. */
    public static final class DatasetException extends IllegalArgumentException {
        DatasetException(String message) {
            super(message);
        }

        static DatasetException at(Path file, long line, String problem) {
            return new DatasetException(file + " line " + line + ": " + problem);
        }
    }

    /** Loads the corpus and the queries of the data set in {@code dir}. */
    public static BeirDataset load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new DatasetException("data set directory " + dir + " does not exist or is not a directory");
        }
        Map<String, Document> corpus = new LinkedHashMap<>();
        int[] repeated = new int[2];
        Path corpusFile = dir.resolve(CORPUS);
        readJsonLines(corpusFile, (lineNo, node) -> {
            String id = requiredId(corpusFile, lineNo, node);
            String title = optionalString(corpusFile, lineNo, node, "title");
            String text = optionalString(corpusFile, lineNo, node, "text");
            if (text == null) {
                throw DatasetException.at(corpusFile, lineNo, "document '" + id + "' has no \"text\"");
            }
            if (corpus.put(id, new Document(id, title, text)) != null) {
                repeated[0]++;
            }
        });
        if (corpus.isEmpty()) {
            throw new DatasetException(corpusFile + ": no documents");
        }
        Map<String, String> queries = new LinkedHashMap<>();
        Path queriesFile = dir.resolve(QUERIES);
        readJsonLines(queriesFile, (lineNo, node) -> {
            String id = requiredId(queriesFile, lineNo, node);
            String text = optionalString(queriesFile, lineNo, node, "text");
            if (text == null || text.isBlank()) {
                throw DatasetException.at(queriesFile, lineNo, "query '" + id + "' has no \"text\"");
            }
            if (queries.put(id, text) != null) {
                repeated[1]++;
            }
        });
        return new BeirDataset(dir, new ArrayList<>(corpus.values()), queries, repeated[0], repeated[1]);
    }

    /** What {@code eval} says about ids given twice, one line per file that has any (empty when none). */
    public List<String> repeatedIdNotes() {
        List<String> notes = new ArrayList<>();
        if (repeatedDocumentIds > 0) {
            notes.add(CORPUS + ": " + repeatedDocumentIds + " line(s) repeat an earlier _id; the last line of each"
                    + " id counts (as in BEIR's loader, and on the documents topic)");
        }
        if (repeatedQueryIds > 0) {
            notes.add(QUERIES + ": " + repeatedQueryIds + " line(s) repeat an earlier _id; the last line of each"
                    + " id counts (as in BEIR's loader)");
        }
        return notes;
    }

    /** The path of {@code qrels/<split>.tsv}. */
    public Path qrelsFile(String split) {
        return dir.resolve(QRELS_DIR).resolve(split + ".tsv");
    }

    /**
     * Reads the judgements of {@code split}. The first line is skipped when it is a header (its
     * score column is not an integer); columns are tab separated (any whitespace when a line has
     * no tab). A query that judges a document twice keeps the last grade, as in BEIR's loader
     * ({@link Qrels#repeatedJudgements()} counts them).
     *
     * @throws DatasetException when the file is missing (the message lists the splits there are)
     *     or a line is malformed
     */
    public Qrels qrels(String split) {
        if (split == null || split.isBlank() || split.contains("/") || split.contains("\\")) {
            throw new DatasetException("bad split name '" + split + "'");
        }
        Path file = qrelsFile(split);
        if (!Files.isRegularFile(file)) {
            throw new DatasetException("no judgements for split '" + split + "': " + file + " does not exist"
                    + availableSplits());
        }
        Map<String, Map<String, Integer>> judgements = new LinkedHashMap<>();
        int repeated = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long lineNo = 0;
            boolean first = true;
            for (String line; (line = reader.readLine()) != null; ) {
                lineNo++;
                if (lineNo == 1) {
                    line = withoutByteOrderMark(line);
                }
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.indexOf('\t') >= 0 ? line.split("\t", -1) : line.trim().split("\\s+");
                if (f.length != 3) {
                    throw DatasetException.at(file, lineNo,
                            "expected 3 columns (query-id, corpus-id, score), found " + f.length);
                }
                String queryId = f[0].trim();
                String docId = f[1].trim();
                Integer grade = parseGrade(f[2].trim());
                if (grade == null) {
                    if (first) {
                        first = false;
                        continue; // the header: query-id corpus-id score
                    }
                    throw DatasetException.at(file, lineNo, "score '" + f[2].trim() + "' is not an integer");
                }
                first = false;
                if (queryId.isEmpty() || docId.isEmpty()) {
                    throw DatasetException.at(file, lineNo, "empty query-id or corpus-id");
                }
                if (judgements.computeIfAbsent(queryId, q -> new LinkedHashMap<>()).put(docId, grade) != null) {
                    repeated++;
                }
            }
        } catch (CharacterCodingException e) {
            throw new DatasetException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new DatasetException("cannot read " + file + ": " + e.getMessage());
        }
        if (judgements.isEmpty()) {
            throw new DatasetException(file + ": no judgements");
        }
        return new Qrels(split, judgements, repeated);
    }

    private String availableSplits() {
        Path qrelsDir = dir.resolve(QRELS_DIR);
        if (!Files.isDirectory(qrelsDir)) {
            return " (there is no " + qrelsDir + " directory)";
        }
        try (Stream<Path> files = Files.list(qrelsDir)) {
            List<String> splits = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".tsv")).map(n -> n.substring(0, n.length() - 4)).sorted().toList();
            return splits.isEmpty() ? " (no .tsv files in " + qrelsDir + ")" : " (splits there: " + String.join(", ", splits) + ")";
        } catch (IOException e) {
            return "";
        }
    }

    private static Integer parseGrade(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private interface LineHandler {
        void accept(long lineNo, JsonNode node);
    }

    private static void readJsonLines(Path file, LineHandler handler) {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long lineNo = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                lineNo++;
                if (lineNo == 1) {
                    line = withoutByteOrderMark(line);
                }
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    throw DatasetException.at(file, lineNo, "not valid JSON (" + e.getOriginalMessage() + ")");
                }
                if (node == null || !node.isObject()) {
                    throw DatasetException.at(file, lineNo, "not a JSON object");
                }
                handler.accept(lineNo, node);
            }
        } catch (NoSuchFileException e) {
            throw new DatasetException("missing " + file + " (a BEIR data set has " + CORPUS + ", " + QUERIES
                    + " and " + QRELS_DIR + "/<split>.tsv)");
        } catch (CharacterCodingException e) {
            throw new DatasetException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new DatasetException("cannot read " + file + ": " + e.getMessage());
        } catch (UncheckedIOException e) {
            throw new DatasetException("cannot read " + file + ": " + e.getCause().getMessage());
        }
    }

    /** The first line of a file without the UTF-8 byte order mark some editors write before it. */
    private static String withoutByteOrderMark(String firstLine) {
        return firstLine.startsWith(BOM) ? firstLine.substring(1) : firstLine;
    }

    private static String requiredId(Path file, long lineNo, JsonNode node) {
        JsonNode id = node.get("_id");
        if (id == null || !(id.isTextual() || id.isIntegralNumber()) || id.asText().isEmpty()) {
            throw DatasetException.at(file, lineNo, "missing or empty \"_id\"");
        }
        return id.asText();
    }

    private static String optionalString(Path file, long lineNo, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw DatasetException.at(file, lineNo, "\"" + field + "\" must be a string, was " + value.getNodeType());
        }
        return value.asText();
    }
}
