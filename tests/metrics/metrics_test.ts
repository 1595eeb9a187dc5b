import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { createRng } from "../../lib/util/rng.ts";
import {
  averagePrecision,
  f1AtThreshold,
  minMaxNormaliser,
  rocAuc,
  rocCurve,
  SAME_SCORE_RELATIVE,
  thresholdAtFpr,
} from "../../lib/metrics/mod.ts";

/** Scores on a coarse grid so that ties are frequent, anomalies shifted upward. */
function randomCase(seed: number, n: number) {
  const rng = createRng(seed);
  const labels = Array.from({ length: n }, () => (rng() < 0.3 ? 1 : 0));
  labels[0] = 0;
  labels[1] = 1;
  const scores = labels.map((y) => Math.round((rng() + 0.4 * y) * 10) / 10);
  return { scores, labels };
}

function bruteForceAuc(scores: number[], labels: number[]): number {
  let wins = 0, pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i] > scores[j]) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

function bruteForceAp(scores: number[], labels: number[]): number {
  const positives = labels.filter((y) => y === 1).length;
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  let ap = 0, previousRecall = 0;
  for (const t of thresholds) {
    const m = f1AtThreshold(scores, labels, t);
    const recall = m.tp / positives;
    ap += (recall - previousRecall) * m.precision;
    previousRecall = recall;
  }
  return ap;
}

Deno.test("rocAuc: hand-computed cases", () => {
  assertEquals(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assertEquals(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  // all tied: every pair is a half
  assertEquals(rocAuc([3, 3, 3, 3], [0, 1, 0, 1]), 0.5);
  // 0.9 beats both normals (2), the positive 0.8 ties both 0.8 normals (2 x 1/2), 0.3 beats none
  assertEquals(rocAuc([0.9, 0.8, 0.8, 0.8, 0.3], [1, 1, 0, 0, 1]), 3 / 6);
  // one inversion out of 6 pairs
  assertAlmostEquals(rocAuc([0.1, 0.35, 0.4, 0.8, 0.9], [0, 1, 0, 1, 1]), 5 / 6, 1e-15);
  // typed arrays and infinities are fine
  assertEquals(rocAuc(new Float32Array([-Infinity, Infinity]), new Uint8Array([0, 1])), 1);
});

Deno.test("rocAuc: equals a brute-force pair count on random data with ties", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const { scores, labels } = randomCase(seed, 50 + seed * 13);
    assertAlmostEquals(rocAuc(scores, labels), bruteForceAuc(scores, labels), 1e-12);
  }
});

Deno.test("rocAuc: invariant to a monotone transform, flips under negation", () => {
  const { scores, labels } = randomCase(99, 300);
  const auc = rocAuc(scores, labels);
  assertAlmostEquals(rocAuc(scores.map((s) => Math.exp(3 * s) - 7), labels), auc, 1e-12);
  assertAlmostEquals(rocAuc(scores.map((s) => -s), labels), 1 - auc, 1e-12);
});

Deno.test("metrics: clear errors on bad input", () => {
  assertThrows(() => rocAuc([1, 2, 3], [0, 1]), RangeError, "differ in length (3 vs 2)");
  assertThrows(() => rocAuc([1, 2], [1, 1]), RangeError, "needs both classes");
  assertThrows(() => rocAuc([1, 2], [0, 0]), RangeError, "every label is normal");
  assertThrows(() => rocAuc([1, NaN], [0, 1]), RangeError, "score 1 is NaN");
  assertThrows(() => rocAuc([1, 2], [0, 2]), RangeError, "must be 0 (normal) or 1");
  assertThrows(() => rocAuc([], []), RangeError, "no scores");
  assertThrows(() => rocCurve([1, 2], [1, 1]), RangeError, "rocCurve: needs both classes");
  assertThrows(() => averagePrecision([1, NaN], [0, 1]), RangeError, "averagePrecision");
  assertThrows(() => f1AtThreshold([1], [0, 1], 0), RangeError, "differ in length");
  assertThrows(() => f1AtThreshold([1], [0], NaN), RangeError, "threshold is NaN");
  assertThrows(() => thresholdAtFpr([1, NaN], 0.1), RangeError, "NaN");
  assertThrows(() => thresholdAtFpr([1, 2], 1.5), RangeError, "not in [0, 1]");
  assertThrows(() => minMaxNormaliser([]), RangeError, "no validation scores");
});

Deno.test("rocCurve: hand case with ties merged, starts at (0,0)", () => {
  const c = rocCurve([0.9, 0.8, 0.8, 0.8, 0.3], [1, 1, 0, 0, 1]);
  assertEquals(c.thresholds, [Infinity, 0.9, 0.8, 0.3]);
  assertEquals(c.tpr, [0, 1 / 3, 2 / 3, 1]);
  assertEquals(c.fpr, [0, 0, 1, 1]);
});

Deno.test("rocCurve: trapezoid area equals rocAuc on random data", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const { scores, labels } = randomCase(seed, 200);
    const { fpr, tpr, thresholds } = rocCurve(scores, labels);
    let area = 0;
    for (let i = 1; i < fpr.length; i++) area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
    assertAlmostEquals(area, rocAuc(scores, labels), 1e-12);
    assertEquals(fpr.at(-1), 1);
    assertEquals(tpr.at(-1), 1);
    assertEquals(thresholds.length, new Set(scores).size + 1);
    for (let i = 1; i < thresholds.length; i++) {
      if (!(thresholds[i] < thresholds[i - 1])) throw new Error("thresholds must decrease");
      // each point is what f1AtThreshold counts at its threshold
      const m = f1AtThreshold(scores, labels, thresholds[i]);
      assertAlmostEquals(m.fp / (m.fp + m.tn), fpr[i], 1e-12);
      assertAlmostEquals(m.tp / (m.tp + m.fn), tpr[i], 1e-12);
    }
  }
});

Deno.test("averagePrecision: hand cases", () => {
  // scikit-learn's docstring example
  assertAlmostEquals(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 5 / 6, 1e-15);
  // ties: 0.9 -> P=1,R=1/3; {0.8 x3} -> P=2/4,R=2/3; 0.3 -> P=3/5,R=1
  assertAlmostEquals(
    averagePrecision([0.9, 0.8, 0.8, 0.8, 0.3], [1, 1, 0, 0, 1]),
    (1 + 0.5 + 0.6) / 3,
    1e-15,
  );
  assertEquals(averagePrecision([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  // all tied: one step to recall 1 at the base rate
  assertEquals(averagePrecision([5, 5, 5, 5], [0, 1, 0, 0]), 0.25);
});

Deno.test("averagePrecision: equals a brute-force step sum on random data", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const { scores, labels } = randomCase(seed, 120);
    assertAlmostEquals(averagePrecision(scores, labels), bruteForceAp(scores, labels), 1e-12);
  }
});

Deno.test("f1AtThreshold: confusion counts, >= is anomalous", () => {
  const scores = [0.1, 0.5, 0.5, 0.7, 0.9, 0.3];
  const labels = [0, 0, 1, 1, 0, 1];
  assertEquals(f1AtThreshold(scores, labels, 0.5), {
    tp: 2,
    fp: 2,
    tn: 1,
    fn: 1,
    precision: 0.5,
    recall: 2 / 3,
    f1: 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3),
  });
  const none = f1AtThreshold(scores, labels, 1);
  assertEquals([none.tp, none.fp, none.tn, none.fn], [0, 0, 3, 3]);
  assertEquals([none.precision, none.recall, none.f1], [0, 0, 0]);
  const all = f1AtThreshold(scores, labels, -Infinity);
  assertEquals([all.tp, all.fp, all.tn, all.fn, all.recall, all.precision], [3, 3, 0, 0, 1, 0.5]);
  // a single class is allowed here
  assertEquals(f1AtThreshold([1, 2], [0, 0], 1.5).fp, 1);
});

Deno.test("minMaxNormaliser: maps validation range to [0, 1]", () => {
  const n = minMaxNormaliser(new Float32Array([3, -1, 7, 5]));
  assertEquals([n.min, n.max], [-1, 7]);
  assertEquals(n.normalise(-1), 0);
  assertEquals(n.normalise(7), 1);
  assertEquals(n.normalise(1), 0.25);
  assertEquals([...n.normaliseAll([11, -5])], [1.5, -0.5]);
  const flat = minMaxNormaliser([2, 2]);
  assertEquals([flat.normalise(2), flat.normalise(3)], [0, 1]);
  assertThrows(() => minMaxNormaliser([1, Infinity]), RangeError, "score 1 is Infinity");
});

Deno.test("thresholdAtFpr: hand cases with ties, in the middle of the gaps", () => {
  const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assertEquals(thresholdAtFpr(s, 0.1), 9.5);
  assertEquals(thresholdAtFpr(s, 0.3), 7.5); // 0.3 * 10 must not floor to 2
  assertEquals(thresholdAtFpr(s, 1), 1 - 1e-3);
  assertAlmostEquals(thresholdAtFpr(s, 0.05), 10 * (1 + SAME_SCORE_RELATIVE), 1e-12);
  // three tied at the top: 10% cannot be met by 9 alone, so the threshold is above 9
  const tied = [9, 9, 9, 1, 2, 3, 4, 5, 6, 7];
  assertAlmostEquals(thresholdAtFpr(tied, 0.2), 9.009, 1e-12);
  assertEquals(thresholdAtFpr(tied, 0.3), 8);
  assertEquals(thresholdAtFpr(tied, 0.4), 6.5);
  assertEquals(thresholdAtFpr([0, 0], 0) > 0, true);
});

Deno.test("thresholdAtFpr: scores that differ only by float rounding are one score", () => {
  // The case: one image scored 8.506434824e-06 in a batch of 4, 8.506435734e-06 in 36.
  const inBatchOf4 = [1e-6, 2e-6, 3e-6, 8.506434824e-06];
  const inBatchOf36 = 8.506435734e-06;
  const t = thresholdAtFpr(inBatchOf4, 0.05);
  assert(inBatchOf36 < t, `${inBatchOf36} must stay below the threshold ${t}`);
  assert(8.506434824e-06 * (1 + SAME_SCORE_RELATIVE / 2) < t);
  // Near-equal scores at the fpr boundary are flagged together or not at all.
  const near = [1, 2, 3, 4, 5, 6, 7, 8, 10 * (1 - 1e-7), 10];
  const t2 = thresholdAtFpr(near, 0.1);
  assert(t2 > 10, `${t2}: 10 and 10(1 - 1e-7) are one group of 2 > 10% of 10`);
  assertAlmostEquals(thresholdAtFpr(near, 0.2), 9, 1e-6);
  // The threshold is never within the tolerance of a validation score.
  const rng = createRng(2);
  const scores = Array.from({ length: 200 }, () => rng() * 1e-5);
  for (const fpr of [0, 0.01, 0.05, 0.2, 1]) {
    const t3 = thresholdAtFpr(scores, fpr);
    for (const s of scores) assert(Math.abs(s - t3) > 4e-4 * Math.max(s, t3), `${s} ~ ${t3}`);
  }
});

Deno.test("thresholdAtFpr: realised FPR on random data is <= target and tight", () => {
  const rng = createRng(5);
  for (let trial = 0; trial < 30; trial++) {
    const n = 50 + Math.floor(rng() * 500);
    const normals = Array.from({ length: n }, () => Math.round(rng() * 200) / 10);
    const target = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.9][trial % 7];
    const t = thresholdAtFpr(normals, target);
    const flagged = normals.filter((s) => s >= t).length;
    if (flagged / n > target + 1e-12) throw new Error(`fpr ${flagged / n} > ${target}`);
    // tight: the next lower distinct score would exceed the target
    const lower = Math.max(...normals.filter((s) => s < t));
    if (Number.isFinite(lower)) {
      const more = normals.filter((s) => s >= lower).length;
      if (!(more / n > target)) throw new Error(`threshold ${t} not the lowest for ${target}`);
    }
    // the same rule as f1AtThreshold on an all-normal labelling
    assertEquals(f1AtThreshold(normals, normals.map(() => 0), t).fp, flagged);
  }
});
