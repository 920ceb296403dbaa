package electra.trainer.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.math.BigDecimal;
import java.math.MathContext;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.Range;
import org.jfree.data.general.DatasetUtils;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The PNG of a run's curves, drawn with JFreeChart (headless) from its {@code log.jsonl}: one panel per
 * {@link Panel}, stacked over a shared step axis, with the last line's values in the subtitle. A restarted run
 * appends lines for steps it redoes; as in TensorBoard, a line for an earlier step than the previous one drops the
 * lines from that step on.
 *
 * @param panels top to bottom
 */
public record LossCurves(List<Panel> panels) {

  static {
    // training machines have no display; unless told otherwise, AWT must not look for one
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  public static final int WIDTH = 1200;
  public static final int HEIGHT = 900;

  /**
   * How a panel's values are scaled: losses on a log scale (they differ by orders of magnitude), fractions 0..1,
   * percentages 0..100 (SQuAD's exact match and F1).
   */
  public enum Scale { LOG, FRACTION, PERCENT }

  /** One curve: the log.jsonl field it plots, its legend label and colour. */
  public record Curve(String field, String label, Color color) {
    public Curve {
      if (field == null || field.isBlank() || label == null || color == null) {
        throw new IllegalArgumentException("a curve needs a log.jsonl field, a label and a colour");
      }
    }
  }

  /** One panel: its axis title, scale and curves. */
  public record Panel(String title, Scale scale, List<Curve> curves) {
    public Panel {
      if (title == null || scale == null || curves == null || curves.isEmpty()) {
        throw new IllegalArgumentException("a panel needs a title, a scale and at least one curve");
      }
      curves = List.copyOf(curves);
    }
  }

  public LossCurves {
    if (panels == null || panels.isEmpty()) {
      throw new IllegalArgumentException("loss curves need at least one panel");
    }
    panels = List.copyOf(panels);
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 20);
  private static final Font SUBTITLE = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
  private static final Color GRID = new Color(0xd9d9d9);
  /** Up to this many points a curve also marks each point: a short run's few values stay visible. */
  private static final int MARKED_POINTS = 60;

  /** The lines of {@code phase} (lines without a phase are phase 1), one per step, as the run ended up. */
  public static List<JsonNode> read(Path logJsonl, int phase) throws IOException {
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
  public boolean draw(Path logJsonl, int phase, Path png, String title) throws IOException {
    return Files.isRegularFile(logJsonl) && draw(read(logJsonl, phase), png, title);
  }

  /**
   * Draws {@code lines} (each with a {@code step}, in step order) into {@code png} (written to a temporary file, then
   * moved in); returns false, writing nothing, when there are none.
   */
  public boolean draw(List<JsonNode> lines, Path png, String title) throws IOException {
    if (lines.isEmpty()) {
      return false;
    }
    Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp");
    if (!ImageIO.write(render(lines, title).image(), "png", tmp.toFile())) {
      throw new IOException("no PNG writer in this JVM");
    }
    Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return true;
  }

  /**
   * {@link #draw}, then prints where the picture is, or why it could not be drawn: a run that trained does not fail
   * for want of its picture (e.g. in a JVM without fonts).
   */
  public void drawAndReport(Path logJsonl, int phase, Path png, String title, PrintStream out) {
    report("loss curves", () -> draw(logJsonl, phase, png, title), png, out);
  }

  /** {@link #draw(List, Path, String)}, then prints where the picture is, or why it could not be drawn. */
  public void drawAndReport(List<JsonNode> lines, Path png, String title, PrintStream out) {
    report("curves", () -> draw(lines, png, title), png, out);
  }

  /** A drawing that may fail; true when it wrote the picture. */
  private interface Drawing {
    boolean draw() throws IOException;
  }

  private static void report(String what, Drawing drawing, Path png, PrintStream out) {
    try {
      if (drawing.draw()) {
        out.println(what + ": " + png);
      }
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Exception | Error e) {
      out.println("could not draw " + png + ": " + e);
    }
  }

  /** A drawn chart and where each panel's curves are, top to bottom. */
  record Rendering(BufferedImage image, List<Rectangle2D> plotAreas) {}

  Rendering render(List<JsonNode> lines, String title) {
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    ChartRenderingInfo info = new ChartRenderingInfo();
    Graphics2D g = image.createGraphics();
    try {
      chart(lines, title).draw(g, new Rectangle(WIDTH, HEIGHT), info);
    } finally {
      g.dispose();
    }
    List<Rectangle2D> areas = IntStream.range(0, panels.size())
        .mapToObj(i -> info.getPlotInfo().getSubplotInfo(i).getDataArea()).toList();
    return new Rendering(image, areas);
  }

  JFreeChart chart(List<JsonNode> lines, String title) {
    NumberAxis steps = new NumberAxis("step");
    steps.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    NumberFormat wholeNumbers = NumberFormat.getIntegerInstance(Locale.ROOT);
    wholeNumbers.setGroupingUsed(false);
    steps.setNumberFormatOverride(wholeNumbers);
    steps.setAutoRangeIncludesZero(true);
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(steps);
    plot.setGap(24);
    boolean marked = lines.size() <= MARKED_POINTS;
    for (Panel panel : panels) {
      XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, marked);
      for (int i = 0; i < panel.curves().size(); i++) {
        renderer.setSeriesPaint(i, panel.curves().get(i).color());
        renderer.setSeriesStroke(i, new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        renderer.setSeriesShape(i, new Ellipse2D.Double(-3.5, -3.5, 7, 7));
      }
      XYSeriesCollection dataset = dataset(panel, lines);
      XYPlot subplot = new XYPlot(dataset, null, axis(panel, DatasetUtils.findRangeBounds(dataset)), renderer);
      subplot.setBackgroundPaint(Color.WHITE);
      subplot.setDomainGridlinePaint(GRID);
      subplot.setRangeGridlinePaint(GRID);
      plot.add(subplot);
    }
    JFreeChart chart = new JFreeChart(title, TITLE, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    chart.addSubtitle(new TextTitle(lastValues(lines.get(lines.size() - 1)), SUBTITLE));
    return chart;
  }

  /** Decades per tick a log axis may take, the smallest giving at most {@link #LOG_TICKS} ticks. */
  private static final double[] DECADES_PER_TICK = {0.1, 0.2, 0.5, 1, 2, 5, 10};
  private static final int LOG_TICKS = 10;

  /** The value axis of {@code panel}, whose values lie in {@code values} (null when it has none). */
  private static ValueAxis axis(Panel panel, Range values) {
    if (panel.scale() != Scale.LOG) {
      NumberAxis axis = new NumberAxis(panel.title());
      axis.setRange(0, panel.scale() == Scale.PERCENT ? 100 : 1);
      return axis;
    }
    LogAxis axis = new LogAxis(panel.title());
    axis.setNumberFormatOverride(new SignificantDigits());
    if (values != null) {
      // JFreeChart would fill the axis with as many ticks as fit; a few are easier to read
      double decades = Math.log10(values.getUpperBound() / values.getLowerBound());
      for (double unit : DECADES_PER_TICK) {
        if (decades / unit <= LOG_TICKS || unit == DECADES_PER_TICK[DECADES_PER_TICK.length - 1]) {
          axis.setTickUnit(new NumberTickUnit(unit));
          break;
        }
      }
    }
    return axis;
  }

  /** Tick labels of a log axis, whose ticks are at powers like 10^0.2: three significant digits (1.58, not 1.5849). */
  private static final class SignificantDigits extends NumberFormat {
    @Override
    public StringBuffer format(double value, StringBuffer to, FieldPosition position) {
      return to.append(new BigDecimal(value).round(new MathContext(3)).stripTrailingZeros().toPlainString());
    }

    @Override
    public StringBuffer format(long value, StringBuffer to, FieldPosition position) {
      return format((double) value, to, position);
    }

    @Override
    public Number parse(String text, ParsePosition position) {
      throw new UnsupportedOperationException("tick labels are only written");
    }
  }

  /**
   * One series per curve of {@code panel}, a point per line; a value the panel cannot show (missing, not finite, not
   * positive on a log scale) is a gap in its curve.
   */
  XYSeriesCollection dataset(Panel panel, List<JsonNode> lines) {
    XYSeriesCollection dataset = new XYSeriesCollection();
    for (Curve curve : panel.curves()) {
      XYSeries series = new XYSeries(curve.label(), false, false);
      for (JsonNode line : lines) {
        double value = line.path(curve.field()).asDouble(Double.NaN);
        boolean shown = Double.isFinite(value) && (panel.scale() != Scale.LOG || value > 0);
        series.add(line.get("step").asDouble(), shown ? Double.valueOf(value) : null);
      }
      dataset.addSeries(series);
    }
    return dataset;
  }

  /** "step N: " and every curve's value at the last line, with the learning rate when the log has one. */
  private String lastValues(JsonNode last) {
    List<String> values = new ArrayList<>();
    for (Panel panel : panels) {
      for (Curve curve : panel.curves()) {
        values.add(curve.label() + " " + number(last.get(curve.field())));
      }
    }
    if (last.has("learning_rate")) {
      values.add("learning rate " + number(last.get("learning_rate")));
    }
    return "step " + last.get("step").asLong() + ": " + String.join(", ", values);
  }

  private static String number(JsonNode value) {
    if (value == null || !value.isNumber()) {
      return "-";
    }
    double d = value.asDouble();
    if (d == 0) {
      return "0";
    }
    return Math.abs(d) < 1e-2 ? String.format(Locale.ROOT, "%.2e", d)
        : String.format(Locale.ROOT, "%.4g", d);
  }
}
