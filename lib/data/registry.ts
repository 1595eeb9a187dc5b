/**
 * The datasets the toolkit knows, one {@linkcode DatasetSpec} each: its name, classes, image
 * shape, loader, default location and how to get it. `--dataset`'s choices, `deno task data list`,
 * the sweep's class check and the one-class protocol all read this registry, so that none of them
 * names a dataset.
 *
 * A new built-in dataset is one file (its loader and its spec, like `cifar10.ts`) and one entry in
 * {@linkcode BUILT_IN_DATASETS} below (with its import). A dataset outside the toolkit (a
 * notebook's, a test's) is registered at run time with {@linkcode registerDataset}.
 *
 * @example
 * ```ts
 * import { DATASET_NAMES, datasetSpec } from "./registry.ts";
 * if (DATASET_NAMES[0] !== "mnist") throw new Error("MNIST first");
 * if (datasetSpec("cifar10").imageShape?.join() !== "32,32,3") throw new Error("CIFAR-10 shape");
 * ```
 *
 * @module
 */

import { CIFAR10_DATASET } from "./cifar10.ts";
import { FASHION_MNIST_DATASET } from "./fashion_mnist.ts";
import { FOLDER_DATASET } from "./folder.ts";
import { MNIST_DATASET } from "./mnist.ts";
import type { DatasetName, DatasetSpec } from "./types.ts";

export type { DatasetName, DatasetSpec } from "./types.ts";

/**
 * The built-in datasets, in the order `deno task data list` and `--help` show them.
 *
 * @example
 * ```ts
 * import { BUILT_IN_DATASETS } from "./registry.ts";
 * if (BUILT_IN_DATASETS.map((d) => d.name).join() !== "mnist,fashion-mnist,cifar10,folder") throw new Error();
 * ```
 */
export const BUILT_IN_DATASETS = [
  MNIST_DATASET,
  FASHION_MNIST_DATASET,
  CIFAR10_DATASET,
  FOLDER_DATASET,
] as const;

const specs = new Map<string, DatasetSpec>();

/**
 * The names of the registered datasets, in the order they were registered (the built-in ones
 * first). The array grows with {@linkcode registerDataset}: `--dataset`'s choices are this array.
 *
 * @example
 * ```ts
 * import { DATASET_NAMES } from "./registry.ts";
 * if (!DATASET_NAMES.includes("folder")) throw new Error();
 * ```
 */
export const DATASET_NAMES: readonly DatasetName[] = [];

/**
 * How many classes each registered dataset has (class indices are 0..n-1); a dataset labelled
 * normal/anomalous (the folder) has one, index 0, normal. Known without loading the data, so
 * that flags are checked first.
 *
 * @example
 * ```ts
 * import { DATASET_CLASS_COUNTS } from "./registry.ts";
 * if (DATASET_CLASS_COUNTS.cifar10 !== 10 || DATASET_CLASS_COUNTS.folder !== 1) throw new Error();
 * ```
 */
// Empty until the built-in datasets are registered, at the end of this module.
export const DATASET_CLASS_COUNTS: Readonly<Record<DatasetName, number>> = {} as Record<
  DatasetName,
  number
>;

/**
 * Adds a dataset to the registry: from then on `--dataset`, `loadOneClass`, `listDatasets` and
 * the sweep accept its name. Errors: a name already registered, a name that is not lower case
 * letters, digits and `-`, or no classes.
 *
 * @example
 * ```ts
 * import { datasetSpec, registerDataset } from "./registry.ts";
 * let refused = false;
 * try {
 *   registerDataset(datasetSpec("mnist"));
 * } catch {
 *   refused = true;
 * }
 * if (!refused) throw new Error("a name is registered once");
 * ```
 */
export function registerDataset(spec: DatasetSpec): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(spec.name)) {
    throw new Error(
      `dataset: name "${spec.name}" invalid, expected lower case letters, digits and -`,
    );
  }
  if (specs.has(spec.name)) {
    throw new Error(`dataset: "${spec.name}" is already registered`);
  }
  if (spec.classNames.length === 0) {
    throw new Error(`dataset: "${spec.name}" has no classes`);
  }
  specs.set(spec.name, spec);
  (DATASET_NAMES as DatasetName[]).push(spec.name);
  (DATASET_CLASS_COUNTS as Record<DatasetName, number>)[spec.name] = spec.labels === "anomaly"
    ? 1
    : spec.classNames.length;
}

/**
 * The spec of a registered dataset; an unknown name is an error that lists the known ones.
 *
 * @example
 * ```ts
 * import { datasetSpec } from "./registry.ts";
 * if (datasetSpec("fashion-mnist").defaultDir() !== "/usr/share/datasets/fashion-mnist") throw new Error();
 * ```
 */
export function datasetSpec(name: DatasetName): DatasetSpec {
  const spec = specs.get(name);
  if (!spec) {
    throw new Error(
      `dataset: "${name}" unknown, expected one of ${DATASET_NAMES.join(", ")} (a plugin's ` +
        "dataset is registered by EDEGAN_PLUGINS=module.ts)",
    );
  }
  return spec;
}

/**
 * Checks a normal class against a registered dataset's classes before any data is loaded (the
 * message `splitOneClass` gives once it is, naming the option `normal`; a task names `--normal`
 * through `namingFlags`). An unknown dataset is the error of {@linkcode datasetSpec}.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { checkNormalClass } from "./registry.ts";
 * checkNormalClass("mnist", 9);
 * assertThrows(() => checkNormalClass("mnist", 11), Error,
 *   "normal: class index 11 out of range, expected an integer 0..9 (mnist: 0, 1, 2,");
 * assertThrows(() => checkNormalClass("folder", 1), Error, "the folder dataset's normal class is 0");
 * ```
 */
export function checkNormalClass(dataset: DatasetName, normal: number): void {
  const spec = datasetSpec(dataset);
  if (spec.labels === "anomaly") {
    if (normal !== 0) {
      throw new Error(`normal: ${normal} invalid, the ${dataset} dataset's normal class is 0`);
    }
    return;
  }
  const count = spec.classNames.length;
  if (!Number.isInteger(normal) || normal < 0 || normal >= count) {
    throw new Error(
      `normal: class index ${normal} out of range, expected an integer 0..${count - 1} ` +
        `(${dataset}: ${spec.classNames.join(", ")})`,
    );
  }
}

for (const spec of BUILT_IN_DATASETS) registerDataset(spec);
