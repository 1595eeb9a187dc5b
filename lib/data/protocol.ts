/**
 * The one-class protocol: a labelled dataset becomes normal training images, a seeded
 * validation hold-out of normal images, and a test set with anomaly labels. This module checks
 * the options and puts the parts together: `dispatch.ts` loads the dataset through the registry,
 * `split.ts` splits it, `manifest.ts` records how. Their public names are exported here too.
 *
 * @module
 */

import { loadDataset } from "./dispatch.ts";
import { oneClassManifest } from "./manifest.ts";
import { ONE_CLASS_DEFAULTS, type OneClassOptions } from "./options.ts";
import { datasetSpec } from "./registry.ts";
import { splitOneClass } from "./split.ts";
import { type OneClassSplit, PROTOCOLS } from "./types.ts";

export { clearDataCache, defaultDataDir, loadDataset } from "./dispatch.ts";
export { oneClassOptionsOf } from "./manifest.ts";
export { ONE_CLASS_DEFAULTS, type OneClassOptions } from "./options.ts";

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
 * set. For `folder` (a dataset labelled normal/anomalous), classes are normal (0) and anomalous
 * (1), `normal` must be 0 and the protocol one-class.
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
  const { labels } = datasetSpec(opts.dataset);
  if (labels === "anomaly" && protocol === "leave-one-out") {
    throw new Error(
      `protocol: leave-one-out needs a labelled multi-class dataset; the ${opts.dataset} ` +
        `dataset supports only one-class`,
    );
  }
  const data = await loadDataset(opts);
  const parts = splitOneClass(data, { ...opts, labels, protocol, valFraction, splitSeed });
  const manifest = oneClassManifest(opts, data, parts, { protocol, valFraction, splitSeed });
  const { train, val, test, testIsAnomaly } = parts;
  return { train, val, test, testIsAnomaly, manifest };
}
