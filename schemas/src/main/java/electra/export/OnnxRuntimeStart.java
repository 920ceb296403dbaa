package electra.export;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Starts ONNX Runtime's Java API so that it leaves no files behind. Its jar carries the native libraries, and left to
 * itself (1.29) it copies them at every start into a new folder under {@code java.io.tmpdir}
 * ({@code onnxruntime-java*}) and only marks the files and the folder for deletion at exit, the folder last, so it is
 * tried first and stays, empty; a JVM that is killed leaves all 28 MB. Here the libraries are copied into a folder of
 * this class's, ONNX Runtime loads them from there (its system property {@value #NATIVE_PATH}), and the folder is
 * deleted as soon as they are loaded: Linux and macOS keep a loaded library's code when its file goes. ONNX
 * Runtime's own folder then stays empty, and goes when the JVM exits.
 *
 * <p>The start runs on a thread with a large stack ({@link LargeStack#ONNX_RUNTIME_START}).
 */
public final class OnnxRuntimeStart {

  /** ONNX Runtime's system property: the folder to load its native libraries from instead of its jar. */
  static final String NATIVE_PATH = "onnxruntime.native.path";

  /** The libraries ONNX Runtime loads or looks for in that folder, by their short names. */
  private static final List<String> LIBRARIES = List.of("onnxruntime", "onnxruntime4j_jni",
      "onnxruntime_providers_shared");

  private static boolean started;

  private OnnxRuntimeStart() {}

  /**
   * ONNX Runtime's environment, as {@code getEnvironment} (ONNX Runtime's {@code OrtEnvironment::getEnvironment})
   * gives it; the first call in a JVM loads the native libraries as said above, unless {@value #NATIVE_PATH} is
   * already set (then ONNX Runtime loads them from there) or the jar has none for this platform (then ONNX Runtime
   * looks for them itself, as it would anyway).
   */
  public static synchronized <T> T environment(Supplier<T> getEnvironment) {
    if (started || System.getProperty(NATIVE_PATH) != null) {
      return LargeStack.call("onnxruntime-start", LargeStack.ONNX_RUNTIME_START, getEnvironment);
    }
    Path folder = copyLibraries();
    if (folder != null) {
      System.setProperty(NATIVE_PATH, folder.toString());
    }
    try {
      T environment = LargeStack.call("onnxruntime-start", LargeStack.ONNX_RUNTIME_START, getEnvironment);
      started = true;
      return environment;
    } finally {
      if (folder != null) {
        System.clearProperty(NATIVE_PATH); // read once, at the start: a failed start may then try ONNX Runtime's way
        delete(folder);
      }
    }
  }

  /** A new folder holding the jar's libraries for this platform; null when the jar has none for it. */
  private static Path copyLibraries() {
    String resources = "/ai/onnxruntime/native/" + platform() + "/";
    List<String> found = LIBRARIES.stream().map(OnnxRuntimeStart::fileName)
        .filter(name -> OnnxRuntimeStart.class.getResource(resources + name) != null).toList();
    if (!found.contains(fileName("onnxruntime"))) {
      return null;
    }
    Path folder = null;
    try {
      folder = Files.createTempDirectory("electra-onnxruntime-");
      for (String name : found) {
        try (InputStream in = OnnxRuntimeStart.class.getResourceAsStream(resources + name)) {
          Files.copy(in, folder.resolve(name));
        }
      }
      return folder;
    } catch (IOException e) {
      if (folder != null) {
        delete(folder);
      }
      throw new UncheckedIOException("could not copy ONNX Runtime's native libraries into " + folder, e);
    }
  }

  /** The folder of ONNX Runtime's jar that holds this platform's libraries, named as ONNX Runtime names it. */
  private static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String osName = os.contains("mac") || os.contains("darwin") ? "osx" : os.contains("win") ? "win" : "linux";
    String archName = switch (arch) {
      case "amd64", "x86_64" -> "x64";
      case "arm64" -> "aarch64";
      default -> arch;
    };
    return osName + "-" + archName;
  }

  private static String fileName(String library) {
    return System.mapLibraryName(library).replace(".jnilib", ".dylib");
  }

  /**
   * Deletes the folder and its files; where the system keeps a loaded library's file (Windows), they go when the JVM
   * exits (the folder is registered first, so that it is deleted last, once empty).
   */
  private static void delete(Path folder) {
    folder.toFile().deleteOnExit();
    List<Path> files = new ArrayList<>();
    try (var listing = Files.list(folder)) {
      listing.forEach(files::add);
    } catch (IOException e) {
      return; // registered for exit above
    }
    for (Path file : files) {
      if (!file.toFile().delete()) {
        file.toFile().deleteOnExit();
      }
    }
    folder.toFile().delete();
  }
}
