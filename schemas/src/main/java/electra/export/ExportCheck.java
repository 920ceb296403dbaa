package electra.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code check.json} in an export folder: a small batch of inputs and the outputs the exporting graph computed for
 * it, so that whoever loads the export later (ServeQA taking a new model version) can prove that what it loaded
 * computes the same before serving it. A truncated variables file, a wrong file copied in, a broken engine: each
 * shows as outputs that differ, or as a model that does not load.
 *
 * <p>Float outputs may differ by {@link #tolerance} relative to the value (absolute below 1): another engine or
 * thread count rounds differently, other weights differ by far more. Index outputs (the joint head's beams) must be
 * equal.
 *
 * @param rows windows in the batch
 * @param length tokens per window
 * @param inputIds {@code rows x length} token ids, row-major
 * @param outputs float outputs by role, row-major
 * @param indexOutputs int outputs by role ({@link ExportMetadata#INDEX_OUTPUTS}), row-major
 */
public record ExportCheck(int rows, int length, int[] inputIds, int[] inputMask, int[] segmentIds,
    Map<String, float[]> outputs, Map<String, int[]> indexOutputs, double tolerance) {

  public static final String FILE = "check.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  public ExportCheck {
    outputs = Map.copyOf(outputs);
    indexOutputs = Map.copyOf(indexOutputs);
    int cells = rows * length;
    if (rows < 1 || length < 1 || inputIds.length != cells || inputMask.length != cells
        || segmentIds.length != cells) {
      throw new IllegalArgumentException("a check of " + rows + " x " + length + " needs that many ids, mask and "
          + "segment values, got " + inputIds.length + ", " + inputMask.length + ", " + segmentIds.length);
    }
    if (!(tolerance >= 0)) {
      throw new IllegalArgumentException("tolerance must be at least 0, got " + tolerance);
    }
  }

  /** The check of {@code names} as {@code expected} holds them for these inputs. */
  public static ExportCheck of(int rows, int length, int[] inputIds, int[] inputMask, int[] segmentIds,
      List<String> names, HeadOutputs expected, double tolerance) {
    Map<String, float[]> floats = new LinkedHashMap<>();
    Map<String, int[]> ints = new LinkedHashMap<>();
    for (String name : names) {
      if (ExportMetadata.INDEX_OUTPUTS.contains(name)) {
        ints.put(name, expected.ints(name));
      } else {
        floats.put(name, expected.floats(name));
      }
    }
    return new ExportCheck(rows, length, inputIds, inputMask, segmentIds, floats, ints, tolerance);
  }

  /** The outputs where {@code actual} is farther from the recorded ones than the tolerance allows; "" if none. */
  public String differences(HeadOutputs actual) {
    List<String> found = new ArrayList<>();
    indexOutputs.forEach((name, want) -> {
      int[] got = actual.ints(name);
      if (!Arrays.equals(want, got)) {
        found.add(name + " " + Arrays.toString(got) + " instead of " + Arrays.toString(want));
      }
    });
    outputs.forEach((name, want) -> {
      float[] got = actual.floats(name);
      double worst = 0;
      for (int i = 0; i < Math.min(want.length, got.length); i++) {
        if (want[i] != got[i]) { // equal infinities (masked positions) differ by nothing, not by NaN
          worst = Math.max(worst, Math.abs(want[i] - got[i]) / Math.max(1, Math.abs(want[i])));
        }
      }
      if (want.length != got.length || !(worst <= tolerance)) {
        found.add(name + " (" + got.length + " values instead of " + want.length + ", largest relative difference "
            + worst + ")");
      }
    });
    return String.join("; ", found);
  }

  public void write(Path dir) throws IOException {
    ObjectNode n = JSON.createObjectNode();
    n.put("rows", rows);
    n.put("length", length);
    ints(n.putArray("input_ids"), inputIds);
    ints(n.putArray("input_mask"), inputMask);
    ints(n.putArray("segment_ids"), segmentIds);
    n.put("tolerance", tolerance);
    ObjectNode out = n.putObject("outputs");
    outputs.forEach((name, values) -> {
      ArrayNode a = out.putArray(name);
      for (float v : values) {
        a.add(v);
      }
    });
    ObjectNode index = n.putObject("index_outputs");
    indexOutputs.forEach((name, values) -> ints(index.putArray(name), values));
    Files.writeString(dir.resolve(FILE), JSON.writeValueAsString(n) + "\n");
  }

  /** The check recorded in {@code dir}; empty for an export written before ExportModel recorded one. */
  public static Optional<ExportCheck> read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      JsonNode n = JSON.readTree(file.toFile());
      Map<String, float[]> floats = new LinkedHashMap<>();
      n.path("outputs").fields().forEachRemaining(e -> {
        float[] values = new float[e.getValue().size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) e.getValue().get(i).asDouble();
        }
        floats.put(e.getKey(), values);
      });
      Map<String, int[]> ints = new LinkedHashMap<>();
      n.path("index_outputs").fields().forEachRemaining(e -> ints.put(e.getKey(), ints(e.getValue())));
      return Optional.of(new ExportCheck(n.path("rows").asInt(), n.path("length").asInt(),
          ints(n.path("input_ids")), ints(n.path("input_mask")), ints(n.path("segment_ids")), floats, ints,
          n.path("tolerance").asDouble(-1)));
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static void ints(ArrayNode a, int[] values) {
    for (int v : values) {
      a.add(v);
    }
  }

  private static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }
}
