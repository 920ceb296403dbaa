package electra.squad;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python's {@code repr(float)}: the shortest decimal that reads back as the same double (the closest such one
 * when several are equally short), written in fixed notation when the decimal exponent is between -4 and 16
 * ({@code 0.0001}, {@code 100.0}, {@code 1e+16}, {@code 1e-05}).
 *
 * <p>{@link Double#toString} differs in notation ({@code 1.0E-5}, switching at 10^7) and, before JDK 19, sometimes
 * in digits: it does not always find the shortest decimal.
 */
public final class PythonFloat {

  /** 17 significant digits always identify a double. */
  private static final int MAX_DIGITS = 17;

  private PythonFloat() {}

  /** {@code repr(x)}, including {@code inf}, {@code -inf}, {@code nan} and {@code -0.0}. */
  public static String repr(double x) {
    if (Double.isNaN(x)) {
      return "nan";
    }
    if (Double.isInfinite(x)) {
      return x > 0 ? "inf" : "-inf";
    }
    String sign = (Double.doubleToRawLongBits(x) < 0) ? "-" : "";
    if (x == 0) {
      return sign + "0.0";
    }
    Decimal shortest = shortestDecimal(Math.abs(x));
    // Python's float_repr_style 'short': exponent notation when the decimal point is more than 16 places right
    // of the first digit, or 4 or more places left of it.
    boolean scientific = shortest.point() > 16 || shortest.point() <= -4;
    return sign + (scientific ? scientific(shortest) : fixed(shortest));
  }

  /**
   * A positive decimal {@code 0.digits × 10^point}; {@code digits} has no trailing zeros.
   */
  record Decimal(String digits, int point) {}

  /**
   * The shortest decimal that parses back to {@code x} (positive, finite). For each length, only the two decimals
   * of that length around x can be the answer: the one rounded down and the one rounded up. If both read back as
   * x, the closer one wins, and when x lies exactly halfway (2068587064773984.75 between ….7 and ….8), the one
   * whose last digit is even, as in the rounding of Python's dtoa.
   */
  static Decimal shortestDecimal(double x) {
    BigDecimal exact = new BigDecimal(x);
    for (int digits = 1; digits <= MAX_DIGITS; digits++) {
      BigDecimal down = exact.round(new MathContext(digits, RoundingMode.FLOOR));
      BigDecimal up = exact.round(new MathContext(digits, RoundingMode.CEILING));
      boolean downReadsBack = down.doubleValue() == x;
      boolean upReadsBack = up.doubleValue() == x;
      if (downReadsBack && upReadsBack) {
        int closer = exact.subtract(down).compareTo(up.subtract(exact));
        boolean downIsEven = !down.unscaledValue().testBit(0);
        return decimal(closer < 0 || (closer == 0 && downIsEven) ? down : up);
      }
      if (downReadsBack || upReadsBack) {
        return decimal(downReadsBack ? down : up);
      }
    }
    throw new AssertionError("no decimal of " + MAX_DIGITS + " digits reads back as " + x);
  }

  private static Decimal decimal(BigDecimal value) {
    BigDecimal stripped = value.stripTrailingZeros();
    String digits = stripped.unscaledValue().toString();
    return new Decimal(digits, digits.length() - stripped.scale());
  }

  /** {@code 1e-05}, {@code 1.5e+16}: one digit before the point, exponent signed and at least two digits. */
  private static String scientific(Decimal d) {
    String mantissa = d.digits().length() == 1 ? d.digits() : d.digits().charAt(0) + "." + d.digits().substring(1);
    int exponent = d.point() - 1;
    String magnitude = Integer.toString(Math.abs(exponent));
    return mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude.length() < 2 ? "0" : "") + magnitude;
  }

  /** {@code 0.0001}, {@code 86.2}, {@code 100.0}: always with a fractional part. */
  private static String fixed(Decimal d) {
    String digits = d.digits();
    int point = d.point();
    if (point <= 0) {
      return "0." + "0".repeat(-point) + digits;
    }
    if (point >= digits.length()) {
      return digits + "0".repeat(point - digits.length()) + ".0";
    }
    return digits.substring(0, point) + "." + digits.substring(point);
  }
}
