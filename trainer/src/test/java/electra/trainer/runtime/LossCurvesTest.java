package electra.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeriesCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** loss_curves.png from a log.jsonl, without training. */
public class LossCurvesTest {

  @TempDir
  Path tmp;

  /** Two panels as pre-training has them: three losses on a log scale, two accuracies. */
  static final LossCurves TWO_PANELS = new LossCurves(List.of(
      new LossCurves.Panel("loss", LossCurves.Scale.LOG, List.of(
          new LossCurves.Curve("total_loss", "total", new Color(0x1f77b4)),
          new LossCurves.Curve("masked_lm_loss", "MLM", new Color(0xff7f0e)),
          new LossCurves.Curve("disc_loss", "discriminator", new Color(0x2ca02c)))),
      new LossCurves.Panel("accuracy", LossCurves.Scale.FRACTION, List.of(
          new LossCurves.Curve("masked_lm_accuracy", "generator accuracy", new Color(0xd62728)),
          new LossCurves.Curve("disc_accuracy", "discriminator accuracy", new Color(0x9467bd))))));

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

  static long pixelsOf(BufferedImage image, Color color, Rectangle2D area) {
    long n = 0;
    for (int y = (int) Math.ceil(area.getMinY()); y < (int) area.getMaxY(); y++) {
      for (int x = (int) Math.ceil(area.getMinX()); x < (int) area.getMaxX(); x++) {
        if ((image.getRGB(x, y) & 0xffffff) == (color.getRGB() & 0xffffff)) {
          n++;
        }
      }
    }
    return n;
  }

  /** Asserts that every curve is drawn inside its own panel, not only in the legend. */
  static void assertCurvesInTheirPanels(BufferedImage image, LossCurves curves, List<Rectangle2D> plotAreas) {
    assertEquals(curves.panels().size(), plotAreas.size());
    for (int p = 0; p < curves.panels().size(); p++) {
      for (LossCurves.Curve c : curves.panels().get(p).curves()) {
        long n = pixelsOf(image, c.color(), plotAreas.get(p));
        assertTrue(n > 20, c.label() + " drawn in panel " + p + ": " + n + " pixels");
      }
    }
  }

  /**
   * Asserts that {@code png} is the chart of {@code log}'s {@code phase} titled {@code title}, pixel for pixel, at
   * the expected size, and that it shows every curve inside its panel.
   */
  public static void assertCurvesDrawn(Path png, LossCurves curves, Path log, int phase, String title)
      throws Exception {
    assertTrue(Files.isRegularFile(png), png + " exists");
    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image, "decodes as PNG");
    assertEquals(LossCurves.WIDTH, image.getWidth());
    assertEquals(LossCurves.HEIGHT, image.getHeight());
    LossCurves.Rendering expected = curves.render(LossCurves.read(log, phase), title);
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int actual = image.getRGB(x, y) & 0xffffff;
        int drawn = expected.image().getRGB(x, y) & 0xffffff;
        if (actual != drawn) {
          throw new AssertionError(png + " differs from the chart of " + log + " at (" + x + ", " + y + "): "
              + Integer.toHexString(actual) + " instead of " + Integer.toHexString(drawn));
        }
      }
    }
    assertCurvesInTheirPanels(image, curves, expected.plotAreas());
  }

  @Test
  void keepsOnlyTheStepsOfTheRunAsItEndedAndEachPhaseApart() throws Exception {
    Path log = tmp.resolve("log.jsonl");
    List<String> lines = new ArrayList<>(syntheticLog(1, 3000, 30, 1.0));
    lines.addAll(syntheticLog(1, 1500, 30, 3.0).subList(0, 10)); // a killed run's steps 30..300, redone...
    lines.addAll(syntheticLog(1, 3000, 30, 1.0).subList(0, 5)); // ... and again after a restart at step 150
    lines.add("{\"step\": 4"); // a torn last line
    lines.addAll(syntheticLog(2, 400, 20, 0.8)); // phase 2: its own picture
    Files.write(log, lines);

    List<JsonNode> phase1 = LossCurves.read(log, 1);
    assertEquals(List.of(30L, 60L, 90L, 120L, 150L), phase1.stream().map(l -> l.get("step").asLong()).toList(),
        "steps 30..150 of the last restart only");
    assertEquals(20, LossCurves.read(log, 2).size());
  }

  @Test
  void eachPanelPlotsItsFieldsAgainstTheStepWithGapsWhereItCannotShowAValue() throws Exception {
    Path log = tmp.resolve("log.jsonl");
    Files.write(log, List.of(
        "{\"step\":10,\"total_loss\":8.5,\"masked_lm_loss\":6.0,\"disc_loss\":0.5,\"masked_lm_accuracy\":0.1,"
            + "\"disc_accuracy\":0.8}",
        "{\"step\":20,\"total_loss\":0.0,\"masked_lm_loss\":null,\"disc_loss\":0.4,\"masked_lm_accuracy\":0.2,"
            + "\"disc_accuracy\":0.85}",
        "{\"step\":30,\"total_loss\":7.5,\"masked_lm_loss\":5.0,\"disc_loss\":0.3,\"masked_lm_accuracy\":0.3}"));
    List<JsonNode> lines = LossCurves.read(log, 1);

    XYSeriesCollection losses = TWO_PANELS.dataset(TWO_PANELS.panels().get(0), lines);
    assertEquals(List.of("total", "MLM", "discriminator"), List.of(losses.getSeriesKey(0), losses.getSeriesKey(1),
        losses.getSeriesKey(2)));
    assertEquals(3, losses.getItemCount(0));
    assertEquals(10.0, losses.getXValue(0, 0));
    assertEquals(8.5, losses.getYValue(0, 0));
    assertNull(losses.getY(0, 1), "0 has no place on a log scale: a gap");
    assertNull(losses.getY(1, 1), "a null value: a gap");
    assertEquals(0.3, losses.getYValue(2, 2));

    XYSeriesCollection accuracies = TWO_PANELS.dataset(TWO_PANELS.panels().get(1), lines);
    assertEquals(0.85, accuracies.getYValue(1, 1));
    assertNull(accuracies.getY(1, 2), "a field the line lacks: a gap");

    JFreeChart chart = TWO_PANELS.chart(lines, "a run");
    assertEquals("a run", chart.getTitle().getText());
    List<XYPlot> panels = ((CombinedDomainXYPlot) chart.getXYPlot()).getSubplots();
    assertEquals(List.of("loss", "accuracy"), panels.stream().map(p -> p.getRangeAxis().getLabel()).toList());
    assertEquals(0.0, panels.get(1).getRangeAxis().getLowerBound());
    assertEquals(1.0, panels.get(1).getRangeAxis().getUpperBound());
    assertEquals("step 30: total 7.500, MLM 5.000, discriminator 0.3000, generator accuracy 0.3000, discriminator "
        + "accuracy -", ((org.jfree.chart.title.TextTitle) chart.getSubtitle(1)).getText(),
        "the legend, then the last line's values");
  }

  @Test
  void drawsEveryCurveInItsPanelAndWritesNothingBeforeTheFirstLine() throws Exception {
    Path log = tmp.resolve("log.jsonl");
    Files.write(log, syntheticLog(1, 3000, 30, 1.0));
    Path png = tmp.resolve("loss_curves.png");
    assertTrue(TWO_PANELS.draw(log, 1, png, "ELECTRA pre-training: test, phase 1"));
    assertCurvesDrawn(png, TWO_PANELS, log, 1, "ELECTRA pre-training: test, phase 1");
    assertFalse(TWO_PANELS.draw(log, 2, tmp.resolve("none.png"), "phase 2"), "no phase-2 lines yet");
    assertFalse(Files.exists(tmp.resolve("none.png")));
    try (var files = Files.list(tmp)) {
      assertEquals(List.of("log.jsonl", "loss_curves.png"), files.map(f -> f.getFileName().toString()).sorted()
          .toList(), "no temporary file left behind");
    }

    Path few = tmp.resolve("few.jsonl"); // a short run: a handful of points, each marked
    Files.write(few, syntheticLog(1, 12, 3, 1.0));
    assertTrue(TWO_PANELS.draw(few, 1, tmp.resolve("few.png"), "few"));
    assertCurvesDrawn(tmp.resolve("few.png"), TWO_PANELS, few, 1, "few");
    if (System.getProperty("electra.keep.png") != null) {
      Files.copy(png, Path.of(System.getProperty("electra.keep.png")),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Test
  void aCurveMissingFromItsPanelIsNoticed() throws Exception {
    // The check above must be able to fail: a log without the accuracies leaves the lower panel empty.
    Path log = tmp.resolve("log.jsonl");
    Files.write(log, syntheticLog(1, 300, 30, 1.0).stream()
        .map(l -> l.replaceAll(",\"masked_lm_accuracy\":[^,]*", "")).toList());
    LossCurves.Rendering r = TWO_PANELS.render(LossCurves.read(log, 1), "no generator accuracy");
    AssertionError e = assertThrows(AssertionError.class,
        () -> assertCurvesInTheirPanels(r.image(), TWO_PANELS, r.plotAreas()));
    assertTrue(e.getMessage().startsWith("generator accuracy drawn in panel 1: 0 pixels"), e.getMessage());
  }

  @Test
  void badLayoutsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new LossCurves(List.of()));
    assertThrows(IllegalArgumentException.class, () -> new LossCurves.Panel("loss", LossCurves.Scale.LOG,
        List.of()));
    assertThrows(IllegalArgumentException.class, () -> new LossCurves.Curve(" ", "loss", Color.BLUE));
  }
}
