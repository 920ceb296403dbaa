package electra.trainer.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.function.DoubleUnaryOperator;
import javax.imageio.ImageIO;

/**
 * The PNG of a run's loss curves, drawn from its {@code log.jsonl} with Java2D (headless): the total, MLM and
 * discriminator losses against the step on a log scale (they differ by two orders of magnitude) in the upper
 * panel, the generator's and the discriminator's accuracy in the lower. A restarted run appends lines for steps
 * it redoes; as in TensorBoard, a line for an earlier step than the previous one drops the lines from that step on.
 */
public final class LossCurves {

  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  public static final int WIDTH = 1200;
  public static final int HEIGHT = 900;

  /** One curve: the log.jsonl field it plots, its legend label and colour (matplotlib's tab10). */
  record Curve(String field, String label, Color color) {}

  static final List<Curve> LOSSES = List.of(
      new Curve("total_loss", "total loss", new Color(0x1f77b4)),
      new Curve("masked_lm_loss", "MLM (generator) loss", new Color(0xff7f0e)),
      new Curve("disc_loss", "discriminator loss", new Color(0x2ca02c)));
  static final List<Curve> ACCURACIES = List.of(
      new Curve("masked_lm_accuracy", "generator accuracy (masked tokens)", new Color(0xd62728)),
      new Curve("disc_accuracy", "discriminator accuracy (all tokens)", new Color(0x9467bd)));

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Color AXIS = new Color(0x333333);
  private static final Color GRID = new Color(0xe3e3e3);
  private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 20);
  private static final Font SUBTITLE = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
  private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
  private static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  private LossCurves() {}

  /** The plotting rectangle of panel 0 (losses) or 1 (accuracies), inside the axes. */
  static Rectangle plotArea(int panel) {
    int left = 90;
    int width = WIDTH - left - 40;
    return panel == 0 ? new Rectangle(left, 120, width, 380) : new Rectangle(left, 610, width, 230);
  }

  /** The lines of {@code phase} (lines without a phase are phase 1), one per step, as the run ended up. */
  static List<JsonNode> read(Path logJsonl, int phase) throws IOException {
    TreeMap<Long, JsonNode> byStep = new TreeMap<>();
    for (String text : Files.readAllLines(logJsonl, StandardCharsets.UTF_8)) {
      if (text.isBlank()) {
        continue;
      }
      JsonNode line;
      try {
        line = JSON.readTree(text);
      } catch (IOException torn) { // the last line of a killed run may be cut short
        continue;
      }
      if (!line.hasNonNull("step") || line.path("phase").asInt(1) != phase) {
        continue;
      }
      long step = line.get("step").asLong();
      byStep.tailMap(step, true).clear();
      byStep.put(step, line);
    }
    return new ArrayList<>(byStep.values());
  }

  /**
   * Draws {@code logJsonl}'s curves of {@code phase} into {@code png} (written to a temporary file, then moved in);
   * returns false, writing nothing, when the log has no line of that phase yet.
   */
  public static boolean draw(Path logJsonl, int phase, Path png, String title) throws IOException {
    if (!Files.isRegularFile(logJsonl)) {
      return false;
    }
    List<JsonNode> lines = read(logJsonl, phase);
    if (lines.isEmpty()) {
      return false;
    }
    BufferedImage image = render(lines, title);
    Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp");
    if (!ImageIO.write(image, "png", tmp.toFile())) {
      throw new IOException("no PNG writer in this JVM");
    }
    Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return true;
  }

  static BufferedImage render(List<JsonNode> lines, String title) {
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);

      JsonNode last = lines.get(lines.size() - 1);
      g.setColor(Color.BLACK);
      g.setFont(TITLE);
      g.drawString(title, 20, 32);
      g.setFont(SUBTITLE);
      g.setColor(AXIS);
      g.drawString(String.format(Locale.ROOT, "step %d: loss %s (MLM %s, discriminator %s), generator accuracy %s, "
              + "discriminator accuracy %s, learning rate %s", last.get("step").asLong(), num(last, "total_loss"),
          num(last, "masked_lm_loss"), num(last, "disc_loss"), num(last, "masked_lm_accuracy"),
          num(last, "disc_accuracy"), num(last, "learning_rate")), 20, 56);

      long lastStep = last.get("step").asLong();
      double xMin = Math.min(0, lines.get(0).get("step").asLong());
      double xMax = Math.max(lastStep, xMin + 1);
      xMax += 0.015 * (xMax - xMin); // room for the last point

      // Losses, log scale.
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (JsonNode line : lines) {
        for (Curve c : LOSSES) {
          double v = line.path(c.field()).asDouble(Double.NaN);
          if (v > 0 && Double.isFinite(v)) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
      }
      if (!(lo <= hi)) {
        lo = 0.1;
        hi = 10;
      }
      double logLo = Math.log10(lo);
      double logHi = Math.log10(hi);
      double pad = Math.max(0.06 * (logHi - logLo), 0.02);
      logLo -= pad;
      logHi += pad;
      Axis lossAxis = new Axis(Math.pow(10, logLo), Math.pow(10, logHi), true);
      panel(g, plotArea(0), "Loss (log scale)", LOSSES, lines, xMin, xMax, lossAxis);

      Axis accuracyAxis = new Axis(0, 1, false);
      panel(g, plotArea(1), "Accuracy", ACCURACIES, lines, xMin, xMax, accuracyAxis);
    } finally {
      g.dispose();
    }
    return image;
  }

  /** A y axis: linear or log10 between lo and hi. */
  private record Axis(double lo, double hi, boolean log) {
    double fraction(double v) {
      return log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
    }

    List<Double> ticks() {
      List<Double> ticks = new ArrayList<>();
      if (!log) {
        for (int i = 0; i <= 10; i += 2) {
          ticks.add(lo + (hi - lo) * i / 10);
        }
        return ticks;
      }
      for (int[] mantissas : new int[][] {{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
        ticks.clear();
        for (int e = (int) Math.floor(Math.log10(lo)); e <= (int) Math.ceil(Math.log10(hi)); e++) {
          for (int m : mantissas) {
            double v = m * Math.pow(10, e);
            if (v >= lo && v <= hi) {
              ticks.add(v);
            }
          }
        }
        if (ticks.size() >= 4) {
          break;
        }
      }
      if (ticks.size() < 3) { // a very narrow range: evenly spaced values
        ticks.clear();
        for (int i = 0; i <= 4; i++) {
          ticks.add(Math.pow(10, Math.log10(lo) + (Math.log10(hi) - Math.log10(lo)) * (i + 0.5) / 5));
        }
      }
      return ticks;
    }
  }

  private static void panel(Graphics2D g, Rectangle area, String name, List<Curve> curves, List<JsonNode> lines,
      double xMin, double xMax, Axis y) {
    DoubleUnaryOperator px = x -> area.x + (x - xMin) / (xMax - xMin) * area.width;
    DoubleUnaryOperator py = v -> area.y + area.height - y.fraction(v) * area.height;

    // Panel name and legend above the plot.
    g.setFont(LABEL);
    g.setColor(Color.BLACK);
    g.drawString(name, area.x, area.y - 36);
    FontMetrics fm = g.getFontMetrics();
    int lx = area.x;
    for (Curve c : curves) {
      g.setColor(c.color());
      g.setStroke(new BasicStroke(3f));
      g.draw(new Line2D.Double(lx, area.y - 14, lx + 28, area.y - 14));
      g.setColor(AXIS);
      g.drawString(c.label(), lx + 36, area.y - 9);
      lx += 36 + fm.stringWidth(c.label()) + 30;
    }

    // Grid, ticks and tick labels.
    g.setFont(TICK);
    FontMetrics tm = g.getFontMetrics();
    g.setStroke(new BasicStroke(1f));
    for (double t : y.ticks()) {
      int yy = (int) Math.round(py.applyAsDouble(t));
      g.setColor(GRID);
      g.drawLine(area.x, yy, area.x + area.width, yy);
      g.setColor(AXIS);
      g.drawLine(area.x - 5, yy, area.x, yy);
      String label = tickLabel(t, y.log());
      g.drawString(label, area.x - 9 - tm.stringWidth(label), yy + tm.getAscent() / 2 - 1);
    }
    double step = niceStep((xMax - xMin) / 8);
    for (double t = Math.ceil(xMin / step) * step; t <= xMax + 1e-9; t += step) {
      int xx = (int) Math.round(px.applyAsDouble(t));
      g.setColor(GRID);
      g.drawLine(xx, area.y, xx, area.y + area.height);
      g.setColor(AXIS);
      g.drawLine(xx, area.y + area.height, xx, area.y + area.height + 5);
      String label = String.format(Locale.ROOT, "%d", Math.round(t));
      g.drawString(label, xx - tm.stringWidth(label) / 2, area.y + area.height + 8 + tm.getAscent());
    }
    g.setColor(AXIS);
    g.drawRect(area.x, area.y, area.width, area.height);
    g.setFont(LABEL);
    String xLabel = "step";
    g.drawString(xLabel, area.x + area.width / 2 - g.getFontMetrics().stringWidth(xLabel) / 2,
        area.y + area.height + 40);

    // The curves, clipped to the plot; points marked when there are few.
    Graphics2D clip = (Graphics2D) g.create();
    try {
      clip.clip(new Rectangle(area.x + 1, area.y + 1, area.width - 1, area.height - 1));
      clip.setStroke(new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      boolean markers = lines.size() <= 60;
      for (Curve c : curves) {
        clip.setColor(c.color());
        Path2D.Double path = new Path2D.Double();
        boolean drawing = false;
        for (JsonNode line : lines) {
          double v = line.path(c.field()).asDouble(Double.NaN);
          if (!Double.isFinite(v) || (y.log() && v <= 0)) {
            drawing = false; // a gap
            continue;
          }
          double x = px.applyAsDouble(line.get("step").asDouble());
          double yy = py.applyAsDouble(v);
          if (drawing) {
            path.lineTo(x, yy);
          } else {
            path.moveTo(x, yy);
            drawing = true;
          }
          if (markers) {
            clip.fill(new Ellipse2D.Double(x - 3.5, yy - 3.5, 7, 7));
          }
        }
        clip.draw(path);
      }
    } finally {
      clip.dispose();
    }
  }

  /** 1, 2 or 5 times a power of ten, at least {@code raw} (and at least 1: steps are whole). */
  static double niceStep(double raw) {
    if (!(raw > 1)) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= raw) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String tickLabel(double v, boolean log) {
    if (!log) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    if (v >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    String s = String.format(Locale.ROOT, "%.3g", v);
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }

  private static String num(JsonNode line, String field) {
    JsonNode v = line.get(field);
    if (v == null || !v.isNumber()) {
      return "-";
    }
    double d = v.asDouble();
    if (d == 0) {
      return "0";
    }
    return Math.abs(d) < 1e-2 && d != 0 ? String.format(Locale.ROOT, "%.2e", d) : String.format(Locale.ROOT, "%.4g", d);
  }
}
