package electra.trainer.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The full settings a run used, defaults and preset values included, written to its folder as JSON with the flags'
 * snake_case names: what a person compares two runs by, and what reproduces one.
 */
public final class RunSettings {

  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .registerModule(new SimpleModule().addSerializer(Path.class, ToStringSerializer.instance));

  private RunSettings() {}

  /** Writes {@code parts} (a name -> a settings record) to {@code file}. */
  public static void write(Path file, Map<String, Record> parts) throws IOException {
    Files.writeString(file, JSON.writeValueAsString(new java.util.TreeMap<>(parts)) + "\n");
  }
}
