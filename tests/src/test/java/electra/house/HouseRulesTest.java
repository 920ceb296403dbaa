package electra.house;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The house rules of ARCHITECTURE.md, checked: which module may depend on which (in the poms, compile and runtime
 * scope), and the same at the level of classes, with no import circle between packages.
 */
class HouseRulesTest {

  /** Module -> the project modules its main code may use. launcher and tests may use every module. */
  private static final Map<String, Set<String>> ALLOWED = Map.of(
      "schemas", Set.of(),
      "beam", Set.of("schemas"),
      "pipelines", Set.of("schemas", "beam"),
      "trainer", Set.of("schemas", "beam"),
      "infra", Set.of("schemas"),
      "serving", Set.of("schemas", "beam", "infra"));

  private static final Path ROOT = Path.of("..");

  private static JavaClasses mainClasses;

  @BeforeAll
  static void importMainClasses() {
    mainClasses = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("electra");
  }

  @Test
  void eachModuleDependsOnlyOnTheModulesItMay() throws Exception {
    Map<String, Set<String>> found = new TreeMap<>();
    for (String module : ALLOWED.keySet()) {
      found.put(module, projectDependencies(ROOT.resolve(module).resolve("pom.xml")));
    }
    assertEquals(new TreeMap<>(ALLOWED), found,
        "module dependencies (compile and runtime scope) differ from ARCHITECTURE.md's table");
  }

  @Test
  void onlyTheLauncherPicksTheLoggingBackend() throws Exception {
    for (String module : List.of("schemas", "beam", "pipelines", "trainer", "serving", "infra")) {
      Set<String> bindings = dependencies(ROOT.resolve(module).resolve("pom.xml"), Pattern.compile("slf4j-(simple|"
          + "reload4j|log4j12|jdk14|nop)|logback-classic|log4j-slf4j2?-impl"));
      assertEquals(Set.of(), bindings, module + " declares a logging backend outside the test scope: a Flink job jar "
          + "would carry it beside Flink's own");
    }
    assertEquals(Set.of("slf4j-simple"), dependencies(ROOT.resolve("launcher/pom.xml"), Pattern.compile("slf4j-simple")));
  }

  @Test
  void noModuleButTheLauncherUsesThePipelines() {
    noClasses().that().resideOutsideOfPackages("electra.pipelines..", "electra.launcher..")
        .should().dependOnClassesThat().resideInAPackage("electra.pipelines..")
        .because("the ingest pipelines are a leaf: shared Beam pieces live in electra.beam").check(mainClasses);
  }

  @Test
  void servingUsesTheExportContractNotTheTrainer() {
    noClasses().that().resideInAPackage("electra.serving..")
        .should().dependOnClassesThat().resideInAPackage("electra.trainer..")
        .because("an export is read through electra.export, whoever wrote it").check(mainClasses);
  }

  @Test
  void contractsUseNeitherBeamNorTensorFlow() {
    noClasses().that().resideInAnyPackage("electra.export..", "electra.squad..", "electra.records..",
            "electra.tokenization..", "electra.model..", "electra.cli..", "electra.data..")
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.beam..", "org.tensorflow..", "org.apache.flink..")
        .check(mainClasses);
  }

  @Test
  void noImportCirclesBetweenPackages() {
    slices().matching("electra.(**)").should().beFreeOfCycles().check(mainClasses);
  }

  @Test
  void theRulesSeeEveryModule() {
    Set<String> packages = new TreeSet<>();
    mainClasses.forEach(c -> packages.add(c.getPackageName().split("\\.")[1]));
    assertTrue(packages.containsAll(List.of("beam", "pipelines", "trainer", "serving", "export", "launcher")),
        "classes imported from " + packages);
  }

  /** The project modules ({@code electra-*}) a pom uses outside the test scope. */
  private static Set<String> projectDependencies(Path pom) throws Exception {
    Set<String> out = new TreeSet<>();
    dependencies(pom, Pattern.compile("electra-.+")).forEach(a -> out.add(a.substring("electra-".length())));
    return out;
  }

  /** The artifacts matching {@code artifact} that a pom uses outside the test scope. */
  private static Set<String> dependencies(Path pom, Pattern artifact) throws Exception {
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    Element dependencies = (Element) doc.getDocumentElement().getElementsByTagName("dependencies").item(0);
    Set<String> out = new TreeSet<>();
    if (dependencies == null) {
      return out;
    }
    NodeList list = dependencies.getElementsByTagName("dependency");
    for (int i = 0; i < list.getLength(); i++) {
      Element d = (Element) list.item(i);
      String id = text(d, "artifactId");
      if (artifact.matcher(id).matches() && !"test".equals(text(d, "scope"))) {
        out.add(id);
      }
    }
    return out;
  }

  private static String text(Element parent, String tag) {
    NodeList n = parent.getElementsByTagName(tag);
    return n.getLength() == 0 ? "" : n.item(0).getTextContent().trim();
  }

  static {
    if (!Files.isRegularFile(ROOT.resolve("pom.xml"))) {
      throw new IllegalStateException("run from the tests module: no pom.xml at " + ROOT.toAbsolutePath());
    }
  }
}
