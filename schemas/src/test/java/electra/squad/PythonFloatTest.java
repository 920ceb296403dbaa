package electra.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** repr(float) and json.dumps, by hand and against /usr/bin/python3. */
class PythonFloatTest {

  @Test
  void notationSwitchesWherePythonsDoes() {
    assertEquals("100.0", PythonFloat.repr(100.0));
    assertEquals("86.20624408703878", PythonFloat.repr(86.20624408703878));
    assertEquals("0.0001", PythonFloat.repr(1e-4));
    assertEquals("1e-05", PythonFloat.repr(1e-5));
    assertEquals("1.5e-07", PythonFloat.repr(1.5e-7));
    assertEquals("1234567890123456.0", PythonFloat.repr(1234567890123456.0));
    assertEquals("1e+16", PythonFloat.repr(1e16));
    assertEquals("1.2345678901234568e+16", PythonFloat.repr(12345678901234567.0));
    assertEquals("1e+100", PythonFloat.repr(1e100));
    assertEquals("5e-324", PythonFloat.repr(Double.MIN_VALUE));
    assertEquals("1.7976931348623157e+308", PythonFloat.repr(Double.MAX_VALUE));
    assertEquals("0.1", PythonFloat.repr(0.1));
    assertEquals("0.30000000000000004", PythonFloat.repr(0.1 + 0.2));
  }

  @Test
  void signsZerosAndNonFiniteValues() {
    assertEquals("0.0", PythonFloat.repr(0.0));
    assertEquals("-0.0", PythonFloat.repr(-0.0));
    assertEquals("-2.5", PythonFloat.repr(-2.5));
    assertEquals("inf", PythonFloat.repr(Double.POSITIVE_INFINITY));
    assertEquals("-inf", PythonFloat.repr(Double.NEGATIVE_INFINITY));
    assertEquals("nan", PythonFloat.repr(Double.NaN));
  }

  /** Java 17's Double.toString writes 1.0E-5 and, for some values, more digits than needed to read back. */
  @Test
  void digitsAreTheShortestThatReadBack() {
    assertEquals("1.0E-5", Double.toString(1e-5));
    assertEquals("6.8479835487449702E18", Double.toString(6.84798354874497e18));
    assertEquals("6.84798354874497e+18", PythonFloat.repr(6.84798354874497e18));
    assertEquals("2e-323", PythonFloat.repr(2e-323));
    assertEquals("1e+23", PythonFloat.repr(1e23));
    assertEquals("9007199254740992.0", PythonFloat.repr(9007199254740992.0));
  }

  /** x = ….75 exactly: ….7 and ….8 both read back and are equally close; the even last digit wins. */
  @Test
  void aTieBetweenTwoShortestDecimalsGoesToTheEvenDigit() {
    assertEquals("2068587064773984.8", PythonFloat.repr(2068587064773984.75));
    assertEquals("2068587064773984.2", PythonFloat.repr(2068587064773984.25));
  }

  @Test
  void sameAsPythonForRandomDoubles() throws Exception {
    Random random = new Random(20250611L);
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      values.add(Double.longBitsToDouble(random.nextLong()));         // any exponent, subnormals, NaN payloads
      values.add(random.nextDouble() * Math.pow(10, random.nextInt(44) - 22)); // around the notation switches
      values.add(100.0 * random.nextInt(12000) / (1 + random.nextInt(12000)));   // the shape of a metric
      values.add((double) random.nextLong() / (1L << random.nextInt(64)));
    }
    for (int exponent = -330; exponent <= 310; exponent++) {
      values.add(Double.parseDouble("1e" + exponent));
      values.add(Math.scalb(1.0, exponent));
    }
    StringBuilder bits = new StringBuilder();
    values.forEach(v -> bits.append(Long.toHexString(Double.doubleToRawLongBits(v))).append('\n'));
    List<String> expected = PythonProcess.run("""
        import struct, sys
        for line in sys.stdin:
            print(repr(struct.unpack('>d', int(line, 16).to_bytes(8, 'big'))[0]))
        """, bits.toString()).lines().toList();
    assertEquals(values.size(), expected.size());
    for (int i = 0; i < values.size(); i++) {
      assertEquals(expected.get(i), PythonFloat.repr(values.get(i)), "bits " + Long.toHexString(Double.doubleToRawLongBits(values.get(i))));
    }
  }

  @Test
  void jsonDumpsWithAndWithoutIndent() {
    Map<String, Number> dict = new LinkedHashMap<>();
    dict.put("exact", 75.5);
    dict.put("total", 1407);
    dict.put("thresh", new BigInteger("123456789012345678901234567890"));
    dict.put("nan", Double.NaN);
    dict.put("inf", Double.NEGATIVE_INFINITY);
    assertEquals("{\"exact\": 75.5, \"total\": 1407, \"thresh\": 123456789012345678901234567890, \"nan\": NaN,"
        + " \"inf\": -Infinity}", PythonJson.dumps(dict));
    assertEquals("{\n  \"exact\": 75.5,\n  \"total\": 1407,\n  \"thresh\": 123456789012345678901234567890,\n"
        + "  \"nan\": NaN,\n  \"inf\": -Infinity\n}", PythonJson.dumpsIndented(dict));
    assertEquals("{}", PythonJson.dumps(Map.of()));
    assertEquals("{}", PythonJson.dumpsIndented(Map.of()));
  }
}
