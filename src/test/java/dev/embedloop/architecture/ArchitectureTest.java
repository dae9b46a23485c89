package dev.embedloop.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering of README's "Code layout", checked on the compiled main classes:
 *
 * <pre>
 * cli, eval, embedded, topology            composition roots: the only places that know everything
 *   ↓
 * index, search, feedback, train, publish  services and their topologies (they do not use each other)
 *   ↓
 * chunk, encode, lineage, model, sparse    stages and shared model artifacts
 *   ↓
 * config, events, kafka, metrics, qdrant   infrastructure: knows no stage and no service
 * </pre>
 *
 * <p>Events that one service produces and another consumes live in {@code events}, so services talk
 * through topics and records, never through each other's classes.
 *
 * <p>Two rules keep the code's behaviour independent of the machine it runs on: text is formatted
 * and cased with an explicit locale, and encoded and decoded with an explicit charset.
 */
class ArchitectureTest {

    private static final String ROOT = "dev.embedloop";
    private static final List<String> SERVICES = List.of("index", "search", "feedback", "train", "publish");
    private static final List<String> INFRASTRUCTURE = List.of("config", "events", "kafka", "metrics", "qdrant");

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
    }

    @Test
    void shouldFormatAndCaseTextTheSameWhateverTheMachinesLocale() {
        // String.format("%08d") writes Arabic-Indic digits under ar-SA, toLowerCase() a dotless ı under tr-TR:
        // store keys, wire values and output must not depend on where the process runs
        noClasses().should().callMethod(String.class, "format", String.class, Object[].class)
                .orShould().callMethod(String.class, "formatted", Object[].class)
                .orShould().callMethod(String.class, "toLowerCase")
                .orShould().callMethod(String.class, "toUpperCase")
                .orShould().callMethod(java.io.PrintStream.class, "printf", String.class, Object[].class)
                .orShould().callMethod(java.io.PrintStream.class, "format", String.class, Object[].class)
                .orShould().callMethod(java.io.PrintWriter.class, "printf", String.class, Object[].class)
                .orShould().callMethod(java.io.PrintWriter.class, "format", String.class, Object[].class)
                .because("text is formatted and cased with an explicit locale (Locale.ROOT)")
                .check(classes);
    }

    @Test
    void shouldNotUseThePlatformsDefaultCharset() {
        // under LANG=C, Java 17's default charset is US-ASCII: bytes on topics, files and sockets are UTF-8
        noClasses().should().callMethod(String.class, "getBytes")
                .orShould().callConstructor(String.class, byte[].class)
                .orShould().callConstructor(String.class, byte[].class, int.class, int.class)
                .orShould().callConstructor(java.io.InputStreamReader.class, java.io.InputStream.class)
                .orShould().callConstructor(java.io.OutputStreamWriter.class, java.io.OutputStream.class)
                .orShould().callConstructor(java.io.FileReader.class, String.class)
                .orShould().callConstructor(java.io.FileReader.class, java.io.File.class)
                .orShould().callConstructor(java.io.FileWriter.class, String.class)
                .orShould().callConstructor(java.io.FileWriter.class, java.io.File.class)
                .orShould().callConstructor(java.io.PrintStream.class, java.io.OutputStream.class, boolean.class)
                .orShould().callConstructor(java.io.PrintWriter.class, java.io.OutputStream.class)
                .orShould().callConstructor(java.io.PrintWriter.class, java.io.OutputStream.class, boolean.class)
                .orShould().callMethod(java.io.ByteArrayOutputStream.class, "toString")
                .because("text is encoded and decoded as UTF-8 whatever the machine's locale")
                .check(classes);
    }

    @Test
    void shouldKeepTheLayers() {
        layeredArchitecture()
                .consideringOnlyDependenciesInAnyPackage(ROOT + "..")
                .layer("Composition").definedBy(pkgs("cli", "eval", "embedded", "topology"))
                .layer("Services").definedBy(pkgs("index", "search", "feedback", "train", "publish"))
                .layer("Stages").definedBy(pkgs("chunk", "encode", "lineage", "model", "sparse"))
                .layer("Infrastructure").definedBy(pkgs("config", "events", "kafka", "metrics", "qdrant"))
                .whereLayer("Composition").mayOnlyBeAccessedByLayers("Composition")
                .whereLayer("Services").mayOnlyBeAccessedByLayers("Composition")
                .whereLayer("Stages").mayOnlyBeAccessedByLayers("Composition", "Services", "Stages")
                .whereLayer("Infrastructure").mayOnlyBeAccessedByLayers("Composition", "Services", "Stages", "Infrastructure")
                .because("dependencies point one way: composition → services → stages → infrastructure")
                .check(classes);
    }

    @Test
    void shouldKeepServicesApart() {
        for (String service : SERVICES) {
            String[] others = SERVICES.stream().filter(s -> !s.equals(service)).map(s -> ROOT + "." + s + "..")
                    .toArray(String[]::new);
            noClasses().that().resideInAPackage(ROOT + "." + service + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(others)
                    .because("services share records through events/ and talk through topics")
                    .check(classes);
        }
    }

    @Test
    void shouldKeepConfigTheKeyRegistryOnly() {
        noClasses().that().resideInAPackage(ROOT + ".config..")
                .should().dependOnClassesThat().resideOutsideOfPackages(ROOT + ".config..", "java..", "javax..")
                .because("config/ holds the key registry and the loader; each module reads its own settings")
                .check(classes);
    }

    @Test
    void shouldKeepInfrastructureFreeOfEachOther() {
        for (String infra : INFRASTRUCTURE) {
            String[] others = INFRASTRUCTURE.stream().filter(s -> !s.equals(infra) && !s.equals("config"))
                    .map(s -> ROOT + "." + s + "..").toArray(String[]::new);
            noClasses().that().resideInAPackage(ROOT + "." + infra + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(others)
                    .because("infrastructure packages depend on config at most")
                    .check(classes);
        }
    }

    @Test
    void shouldBeFreeOfCycles() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(classes);
    }

    private static String[] pkgs(String... names) {
        String[] out = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = ROOT + "." + names[i] + "..";
        }
        return out;
    }
}
