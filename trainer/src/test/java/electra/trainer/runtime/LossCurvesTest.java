package electra.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** loss_curves.png from a log.jsonl, without training. */
public class LossCurvesTest {

  @TempDir
  Path tmp;

  /** A log of a run of {@code steps} steps logged every {@code every}, losses falling like a real run's. */
  static List<String> syntheticLog(int phase, long steps, long every, double scale) {
    List<String> lines = new ArrayList<>();
    for (long s = every; s <= steps; s += every) {
      double t = (double) s / steps;
      double mlm = scale * (10.3 - 4.2 * Math.sqrt(t) + 0.15 * Math.sin(s));
      double disc = scale * (0.62 - 0.38 * t + 0.01 * Math.cos(s));
      lines.add(String.format(Locale.ROOT, "{\"step\":%d,\"phase\":%d,\"wall_time\":%.3f,\"total_loss\":%.6f,"
              + "\"masked_lm_loss\":%.6f,\"disc_loss\":%.6f,\"masked_lm_accuracy\":%.6f,\"disc_accuracy\":%.6f,"
              + "\"disc_auc\":null,\"learning_rate\":%.6g}", s, phase, 1.7e9 + s, mlm + 50 * disc, mlm, disc,
          0.55 * Math.sqrt(t), 0.85 + 0.1 * t, 5e-4 * (1 - t)));
    }
    return lines;
  }

  static long pixelsOf(BufferedImage image, Color color, Rectangle area) {
    long n = 0;
    for (int y = area.y; y < area.y + area.height; y++) {
      for (int x = area.x; x < area.x + area.width; x++) {
        if ((image.getRGB(x, y) & 0xffffff) == (color.getRGB() & 0xffffff)) {
          n++;
        }
      }
    }
    return n;
  }

  /** Asserts the PNG decodes at the expected size and shows every curve inside its panel. */
  public static BufferedImage assertCurvesDrawn(Path png) throws Exception {
    assertTrue(Files.isRegularFile(png), png + " exists");
    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image, "decodes as PNG");
    assertEquals(LossCurves.WIDTH, image.getWidth());
    assertEquals(LossCurves.HEIGHT, image.getHeight());
    for (LossCurves.Curve c : LossCurves.LOSSES) {
      long n = pixelsOf(image, c.color(), LossCurves.plotArea(0));
      assertTrue(n > 20, c.label() + " drawn in the loss panel: " + n + " pixels");
    }
    for (LossCurves.Curve c : LossCurves.ACCURACIES) {
      long n = pixelsOf(image, c.color(), LossCurves.plotArea(1));
      assertTrue(n > 20, c.label() + " drawn in the accuracy panel: " + n + " pixels");
    }
    return image;
  }

  @Test
  void drawsBothPanelsAndKeepsOnlyTheStepsOfTheRunAsItEnded() throws Exception {
    Path log = tmp.resolve("log.jsonl");
    List<String> lines = new ArrayList<>(syntheticLog(1, 3000, 30, 1.0));
    lines.addAll(syntheticLog(1, 1500, 30, 3.0).subList(0, 10)); // a killed run's steps 30..300, redone...
    lines.addAll(syntheticLog(1, 3000, 30, 1.0).subList(0, 5)); // ... and again after a restart at step 150
    lines.add("{\"step\": 4"); // a torn last line
    lines.addAll(syntheticLog(2, 400, 20, 0.8)); // phase 2: its own picture
    Files.write(log, lines);

    List<com.fasterxml.jackson.databind.JsonNode> phase1 = LossCurves.read(log, 1);
    assertEquals(5, phase1.size(), "steps 30..150 of the last restart only: " + phase1);
    assertEquals(150, phase1.get(4).get("step").asLong());
    assertEquals(20, LossCurves.read(log, 2).size());

    Path png = tmp.resolve("loss_curves.png");
    Files.write(log, syntheticLog(1, 3000, 30, 1.0));
    assertTrue(LossCurves.draw(log, 1, png, "ELECTRA pre-training: test, phase 1"));
    assertCurvesDrawn(png);
    assertFalse(LossCurves.draw(log, 2, tmp.resolve("none.png"), "phase 2"), "no phase-2 lines yet");
    assertFalse(Files.exists(tmp.resolve("none.png")));

    Path few = tmp.resolve("few.jsonl"); // a short run: a handful of points, drawn with markers
    Files.write(few, syntheticLog(1, 12, 3, 1.0));
    assertTrue(LossCurves.draw(few, 1, tmp.resolve("few.png"), "few"));
    assertCurvesDrawn(tmp.resolve("few.png"));
    if (System.getProperty("electra.keep.png") != null) {
      Files.copy(png, Path.of(System.getProperty("electra.keep.png")), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.copy(tmp.resolve("few.png"), Path.of(System.getProperty("electra.keep.png") + ".few.png"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Test
  void niceSteps() {
    assertEquals(1, LossCurves.niceStep(0.3));
    assertEquals(2, LossCurves.niceStep(1.5));
    assertEquals(500, LossCurves.niceStep(375));
    assertEquals(1000, LossCurves.niceStep(1000));
  }
}
