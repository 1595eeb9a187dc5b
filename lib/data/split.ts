/**
 * The split of the one-class protocol: a labelled dataset becomes normal training images, a
 * seeded validation hold-out of normal images, and a test set with anomaly labels.
 *
 * @module
 */

import { createRng, shuffledIndices } from "../util/rng.ts";
import { subsetImageSet } from "./preprocess.ts";
import type { DatasetSpec, ImageSet, LabelledDataset, Protocol } from "./types.ts";

/**
 * What {@linkcode splitOneClass} needs besides the data; every field is resolved (no defaults
 * here: they are {@linkcode ONE_CLASS_DEFAULTS}).
 *
 * @example
 * ```ts
 * import type { SplitOptions } from "./split.ts";
 * const opts: SplitOptions = { dataset: "mnist", labels: "classes", normal: 3, protocol: "one-class", valFraction: 0.1, splitSeed: 0 };
 * if (opts.normal !== 3) throw new Error();
 * ```
 */
export interface SplitOptions {
  /** The dataset's name, for errors. */
  dataset: string;
  /** What the dataset's labels are (its {@linkcode DatasetSpec}'s `labels`). */
  labels: DatasetSpec["labels"];
  /** Class c: normal under `one-class`, anomalous under `leave-one-out`. */
  normal: number;
  /** The protocol. */
  protocol: Protocol;
  /** Fraction of the normal training images held out for validation, in [0, 1). */
  valFraction: number;
  /** Seed of the hold-out and of the test subset. */
  splitSeed: number;
  /** At most this many training images. */
  limit?: number;
  /** A stratified seeded subset of this many test images. */
  testLimit?: number;
}

/**
 * The parts of a one-class split (the manifest is made from them by `oneClassManifest`).
 *
 * @example
 * ```ts
 * import type { SplitParts } from "./split.ts";
 * const anomalies = (p: SplitParts) => p.testIsAnomaly.reduce((a, b) => a + b, 0);
 * if (typeof anomalies !== "function") throw new Error();
 * ```
 */
export interface SplitParts {
  /** Normal training images minus the validation part. */
  train: ImageSet;
  /** Seeded hold-out of normal training images. */
  val: ImageSet;
  /** The test set (full, or a stratified subset). */
  test: ImageSet;
  /** 0 normal, 1 anomalous, per test image. */
  testIsAnomaly: Uint8Array;
  /** How many test images are anomalous. */
  testAnomalous: number;
}

/** The seeded order of `indices` (a copy), without touching the input. */
function shuffled(indices: Int32Array, seed: number): Int32Array {
  const order = shuffledIndices(indices.length, createRng(seed));
  return order.map((i) => indices[i]);
}

/**
 * Picks `n` of the test items stratified by class (largest-remainder quotas per label), seeded;
 * returns the chosen indices in ascending order.
 */
function stratifiedSubset(labels: Int32Array, n: number, seed: number): Int32Array {
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => {
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(i);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const exact = classes.map((c) => (byClass.get(c)!.length * n) / labels.length);
  const quota = exact.map(Math.floor);
  let left = n - quota.reduce((a, b) => a + b, 0);
  const byRemainder = classes.map((_, k) => k).sort((a, b) =>
    (exact[b] - quota[b]) - (exact[a] - quota[a]) || a - b
  );
  for (const k of byRemainder) {
    if (left === 0) break;
    quota[k]++;
    left--;
  }
  const chosen: number[] = [];
  classes.forEach((c, k) => {
    const order = shuffled(Int32Array.from(byClass.get(c)!), seed * 31 + c + 1);
    for (let i = 0; i < quota[k]; i++) chosen.push(order[i]);
  });
  return Int32Array.from(chosen).sort();
}

/**
 * Splits a labelled dataset by the one-class protocol (see `loadOneClass` for the rules). The
 * class `normal` must be one of the dataset's (0 for a dataset labelled normal/anomalous); the
 * error names the classes.
 *
 * @example
 * ```ts
 * import { splitOneClass } from "./split.ts";
 * const set = (labels: number[]) => ({ pixels: new Uint8Array(labels.length), labels: Int32Array.from(labels), count: labels.length, height: 1, width: 1, channels: 1 });
 * const data = { train: set([0, 1, 0, 1, 0]), test: set([0, 1, 1]), classNames: ["a", "b"], source: "" };
 * const p = splitOneClass(data, { dataset: "ab", labels: "classes", normal: 0, protocol: "one-class", valFraction: 0.4, splitSeed: 0 });
 * if (p.train.count !== 2 || p.val.count !== 1 || p.testAnomalous !== 2) throw new Error();
 * ```
 */
export function splitOneClass(data: LabelledDataset, opts: SplitOptions): SplitParts {
  const { protocol, valFraction, splitSeed } = opts;
  const numClasses = data.classNames.length;
  const c = opts.normal;
  const anomalyLabels = opts.labels === "anomaly";
  const classOk = anomalyLabels ? c === 0 : Number.isInteger(c) && c >= 0 && c < numClasses;
  if (!classOk) {
    throw new Error(
      anomalyLabels
        ? `normal: ${c} invalid, the ${opts.dataset} dataset's normal class is 0`
        : `normal: class index ${c} out of range, expected an integer 0..${numClasses - 1} ` +
          `(${opts.dataset}: ${data.classNames.join(", ")})`,
    );
  }
  const isNormal = protocol === "one-class" ? (l: number) => l === c : (l: number) => l !== c;

  const pool: number[] = [];
  data.train.labels.forEach((l, i) => {
    if (isNormal(l)) pool.push(i);
  });
  const order = shuffled(Int32Array.from(pool), splitSeed);
  let valCount = Math.round(order.length * valFraction);
  // Calibration needs validation scores: a class of 2-4 images still holds one out.
  if (valFraction > 0 && valCount === 0 && order.length >= 2) valCount = 1;
  let trainIdx = order.subarray(valCount);
  let valIdx = order.subarray(0, valCount);
  if (opts.limit !== undefined && opts.limit < trainIdx.length) {
    trainIdx = trainIdx.subarray(0, opts.limit);
    valCount = Math.min(valCount, Math.ceil((opts.limit * valFraction) / (1 - valFraction)));
    valIdx = valIdx.subarray(0, valCount);
  }
  const train = subsetImageSet(data.train, Int32Array.from(trainIdx).sort());
  const val = subsetImageSet(data.train, Int32Array.from(valIdx).sort());

  const test = opts.testLimit !== undefined && opts.testLimit < data.test.count
    ? subsetImageSet(data.test, stratifiedSubset(data.test.labels, opts.testLimit, splitSeed))
    : data.test;
  const testIsAnomaly = new Uint8Array(test.count);
  let testAnomalous = 0;
  for (let i = 0; i < test.count; i++) {
    const anomalous = anomalyLabels ? test.labels[i] === 1 : !isNormal(test.labels[i]);
    testIsAnomaly[i] = anomalous ? 1 : 0;
    testAnomalous += testIsAnomaly[i];
  }
  return { train, val, test, testIsAnomaly, testAnomalous };
}
