/**
 * The options of a one-class split and their defaults, in one place: {@linkcode loadOneClass}
 * takes them, and every field is also a flag (see CLI.md).
 *
 * @module
 */

import type { DatasetName } from "./registry.ts";
import type { Protocol } from "./types.ts";

/**
 * Options of {@linkcode loadOneClass}; every field is also a flag (see CLI.md).
 *
 * @example
 * ```ts
 * import type { OneClassOptions } from "./options.ts";
 * const opts: OneClassOptions = { dataset: "fashion-mnist", normal: 8, protocol: "one-class", limit: 512 };
 * if (opts.normal !== 8) throw new Error();
 * ```
 */
export interface OneClassOptions {
  /** Which dataset (`--dataset`). */
  dataset: DatasetName;
  /** Where its files are, overriding the default location (`--data-dir`); required for `folder`. */
  dataDir?: string;
  /** Where `dataDir` came from, named in a missing file's error (default: `--data-dir D`). */
  dataDirOrigin?: string;
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
 * import { ONE_CLASS_DEFAULTS } from "./options.ts";
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
 * The flag of each {@linkcode OneClassOptions} field that has one (`splitSeed` is `--seed`): the one
 * table of them, read by the tasks' flag parsing (`runDataFromFlags`) and by {@linkcode namingFlags}.
 *
 * @example
 * ```ts
 * import { OPTION_FLAGS } from "./options.ts";
 * if (OPTION_FLAGS.splitSeed !== "--seed") throw new Error();
 * ```
 */
export const OPTION_FLAGS = {
  dataset: "--dataset",
  dataDir: "--data-dir",
  normal: "--normal",
  protocol: "--protocol",
  splitSeed: "--seed",
  limit: "--limit",
  testLimit: "--test-limit",
} as const satisfies Partial<Record<keyof OneClassOptions, `--${string}`>>;

/**
 * An error of {@linkcode loadOneClass} as a task reports it: a message that starts with an
 * option's name (`normal: 1 invalid, ...`) starts with its flag instead (`--normal: 1 invalid,
 * ...`, see {@linkcode OPTION_FLAGS}); any other error is returned as it is. The library keeps
 * naming its options, so that callers of `loadOneClass` read the names they passed; tasks call
 * this where they load the data of the flags typed. With `from`, an option among `from.recorded`
 * (taken from a run's manifest, not typed) is named as recorded there instead
 * (`dataset recorded in runs/a/run.json: ...`). The original error is the new one's `cause`.
 *
 * @example
 * ```ts
 * import { namingFlags } from "./options.ts";
 * const e = namingFlags(new Error("normal: 1 invalid, the folder dataset's normal class is 0"));
 * if (e.message !== "--normal: 1 invalid, the folder dataset's normal class is 0") throw new Error();
 * const other = new Error("folder: x/train not found");
 * if (namingFlags(other) !== other) throw new Error();
 * // Options taken from a run's manifest rather than typed name the manifest.
 * const recorded = namingFlags(new Error('dataset: "mine" unknown'),
 *   { recorded: new Set(["dataset"]), recordedIn: "runs/a/run.json" });
 * if (recorded.message !== 'dataset recorded in runs/a/run.json: "mine" unknown') throw new Error();
 * ```
 */
export function namingFlags(
  error: Error,
  from?: { recorded: ReadonlySet<string>; recordedIn: string },
): Error {
  const option = /^([A-Za-z]+): /.exec(error.message)?.[1];
  if (option === undefined || !Object.hasOwn(OPTION_FLAGS, option)) return error;
  if (from !== undefined && from.recorded.has(option)) {
    return new Error(
      `${option} recorded in ${from.recordedIn}` + error.message.slice(option.length),
      { cause: error },
    );
  }
  const flag = OPTION_FLAGS[option as keyof typeof OPTION_FLAGS];
  return new Error(flag + error.message.slice(option.length), { cause: error });
}
