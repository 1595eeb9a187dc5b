import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { meanInterval, median } from "../../lib/results/mod.ts";

// Ten gains in points; bounds from SciPy (scipy.stats.t.ppf(1 - (1 - level) / 2, 9) * sd / sqrt(10)),
// which jStat's quantile matches to about 1e-9.
const gains = [-1.2, 0.4, 2.5, -3.1, 0.9, -0.6, 1.1, 0.2, -0.8, 1.6];
const SCIPY: [number, number, number][] = [
  [0.95, -1.043079751135298, 1.2430797511352982],
  [0.9, -0.8262814756299525, 1.0262814756299525],
  [0.99, -1.5421587603217972, 1.7421587603217974],
];

Deno.test("meanInterval: Student-t bounds equal SciPy's at three levels", () => {
  for (const [level, low, high] of SCIPY) {
    const ci = meanInterval(gains, level)!;
    assertAlmostEquals(ci.mean, 0.1, 1e-12);
    assertAlmostEquals(ci.low, low, 1e-7, `level ${level}`);
    assertAlmostEquals(ci.high, high, 1e-7, `level ${level}`);
    assertEquals([ci.n, ci.level], [10, level]);
  }
});

Deno.test("meanInterval: null below two values; bad level or values are errors", () => {
  assertEquals(meanInterval([]), null);
  assertEquals(meanInterval([0.3]), null);
  assertThrows(() => meanInterval(gains, 1), RangeError, "level");
  assertThrows(() => meanInterval([1, NaN]), RangeError, "finite");
});

Deno.test("median: the middle value, or the mean of the two middle ones; NaN for none", () => {
  assertEquals(median([0.9, 0.1, 0.5]), 0.5);
  assertEquals(median([4, 1, 3, 2]), 2.5);
  assert(Number.isNaN(median([])));
});
