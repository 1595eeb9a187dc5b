/**
 * What an exported model needs beside its graph to be used: `edegan-export.json`, written in the
 * export folder and embedded in the model (TF.js `userDefinedMetadata.edegan`, ONNX
 * `metadata_props["edegan"]`): the input's preprocessing, what the score is, and the calibrated
 * threshold with its decision rule.
 *
 * @module
 */

import type { Calibration } from "../score/calibrate.ts";
import type { BatchNormStatsMode } from "../models/ede_gan/batch_norm_stats.ts";
import type { ScoringPath } from "./scoring_path.ts";

/** The name of the metadata file in an export folder. */
export const EXPORT_METADATA_FILE = "edegan-export.json";
/** Its `format` and `formatVersion`. */
export const EXPORT_FORMAT = "edegan-export";
export const EXPORT_FORMAT_VERSION = 1;

/** The formats `deno task export --format` writes. */
export const EXPORT_FORMATS = ["tfjs", "onnx"] as const;
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = typeof EXPORT_FORMATS[number];

/** The content of `edegan-export.json`. */
export interface ExportMetadata {
  format: typeof EXPORT_FORMAT;
  formatVersion: number;
  /** `tfjs-graph-model` (`model.json` + `weights.bin`) or `onnx` (`model.onnx`). */
  modelFormat: "tfjs-graph-model" | "onnx";
  /** The model file in this folder. */
  modelFile: string;
  /** The run or model folder it was exported from, as given. */
  source: string;
  /** The model's configuration (width, latent size, ...). */
  config: Record<string, unknown>;
  input: {
    name: string;
    /** NHWC: [-1, size, size, channels]; -1 is any batch size. */
    shape: number[];
    /** How a uint8 pixel p becomes an input value. */
    scaling: string;
    /** How an image file becomes size x size x channels uint8 pixels, as `deno task score`. */
    preprocessing: string;
  };
  output: { name: string; shape: number[]; score: string };
  /** The BatchNorm statistics the run's scores and threshold use, and what the export did. */
  bnStats: BatchNormStatsMode;
  batchNorm: string;
  /** The run's calibration (threshold at `fpr` on the validation normals, in `bnStats`). */
  calibration: Calibration;
  /**
   * Where the calibration was read, relative to the run folder (the model folder's parent),
   * whichever of the two holds it: `run.json (calibration)` or `MODEL/model.json (calibration)`
   * (`MODEL`: the model folder's name, `model` for a run's own).
   */
  calibrationSource: string;
  decision: string;
  /** What the run trained on (dataset, class, protocol), when it has a `run.json`. */
  data?: { dataset?: unknown; normalClass?: unknown; protocol?: unknown };
}

/**
 * The metadata of an export of `path` (see {@link ExportMetadata}).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { scoringPath } from "./scoring_path.ts";
 * import { exportMetadata } from "./metadata.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 16 }, 1);
 * const calibration = { min: 0, max: 1, threshold: 0.5, fpr: 0.05, count: 10 };
 * const meta = exportMetadata(scoringPath(model, "moving"), "onnx", {
 *   source: "runs/x", config: { ...model.config }, calibration, calibrationSource: "run.json",
 * });
 * assertEquals(meta.input.shape, [-1, 32, 32, 1]);
 * assertEquals(meta.modelFile, "model.onnx");
 * model.dispose();
 * ```
 */
export function exportMetadata(
  path: ScoringPath,
  format: ExportFormat,
  opts: {
    source: string;
    config: Record<string, unknown>;
    calibration: Calibration;
    calibrationSource: string;
    data?: ExportMetadata["data"];
  },
): ExportMetadata {
  const { imageSize: size, channels } = path;
  const distance = {
    mse: "mean squared difference",
    l1: "mean absolute difference",
    l2: "Euclidean distance",
  }[path.scoreDistance];
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    modelFormat: format === "tfjs" ? "tfjs-graph-model" : "onnx",
    modelFile: format === "tfjs" ? "model.json" : "model.onnx",
    source: opts.source,
    config: opts.config,
    input: {
      name: "images",
      shape: [-1, size, size, channels],
      scaling: "p / 127.5 - 1 (uint8 0..255 to [-1, 1])",
      preprocessing: "decode PNG or JPEG to RGB (transparent PNG pixels composited onto white: " +
        "round((c * a + 255 * (255 - a)) / 255)); " +
        (channels === 1 ? "grey by BT.601 luma (PIL convert('L')), rounded; " : "") +
        `resize to ${size}x${size} with PIL's bilinear filter (antialiased when shrinking), ` +
        "rounded and clipped to 0..255 (lib/data/preprocess.ts prepareImageSet)",
    },
    output: {
      name: "score",
      shape: [-1],
      score: `latent: the ${distance} of z = E1(x) and z_hat = E2(Dec(z))` +
        (path.latent === "tanh" ? ", both through tanh" : "") + "; higher = more anomalous",
    },
    bnStats: path.bnStats,
    batchNorm: path.bnStats === "per-image"
      ? "per-image statistics: each image normalised by its own mean and variance over height " +
        "and width (InstanceNormalization), then gamma and beta"
      : `folded into the convolutions (${
        path.bnStats === "moving"
          ? "moving averages"
          : "statistics recomputed over the training normals"
      })`,
    calibration: opts.calibration,
    calibrationSource: opts.calibrationSource,
    decision: "anomalous when score >= calibration.threshold, else normal",
    ...(opts.data ? { data: opts.data } : {}),
  };
}
