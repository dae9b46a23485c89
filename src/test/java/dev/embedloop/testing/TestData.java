package dev.embedloop.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Where tests find what they do not ship: the shared data sets beside the project
 * ({@code ../shared/datasets} from the project root, overridable with {@code EMBEDLOOP_DATASETS})
 * and outside tools. A test whose data is missing fails in CI ({@code CI} set, as {@code .ci/run}
 * runs) and is skipped with the reason elsewhere, where a user without {@code ../shared} runs the
 * suite.
 */
public final class TestData {

    private TestData() {}

    /** The project root: Maven's {@code basedir}, else the working directory Maven starts tests in. */
    public static Path projectRoot() {
        String basedir = System.getProperty("basedir");
        return Path.of(basedir != null ? basedir : System.getProperty("user.dir")).toAbsolutePath().normalize();
    }

    /** The shared data sets directory (it may not exist). */
    public static Path datasets() {
        String env = System.getenv("EMBEDLOOP_DATASETS");
        return env != null && !env.isBlank() ? Path.of(env) : projectRoot().resolve("../shared/datasets").normalize();
    }

    /** Cranfield 1400 in BEIR layout (corpus.jsonl, queries.jsonl, qrels/). */
    public static Path cranfield() {
        return datasets().resolve("cranfield/beir");
    }

    /** Whether this run is CI's, where missing data is a failure. */
    public static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
    }

    /** Fails in CI, skips elsewhere, when {@code present} is false. */
    public static void require(boolean present, String what) {
        if (present) {
            return;
        }
        if (inCi()) {
            throw new AssertionError(what + " is missing, and CI must run this test");
        }
        Assumptions.abort(what + " is missing: skipped outside CI");
    }

    /** {@link #require} for files under a directory. */
    public static Path requireFiles(Path dir, String... files) {
        boolean present = true;
        for (String f : files) {
            present &= Files.isRegularFile(dir.resolve(f));
        }
        require(present, "test data under " + dir + " (" + String.join(", ", files) + ")");
        return dir;
    }
}
