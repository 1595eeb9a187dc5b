/**
 * Scoring images with a trained model: batches of a set through the model's
 * {@link AnomalyModel.scoreBatch}, in inference, every score checked to be finite. What a score
 * measures is the model's (EDE-GAN's kinds are in `lib/models/ede_gan/score.ts`: by default the
 * distance between z = E1(x) and z_hat = E2(Dec(z)), the paper's score).
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { AnomalyModel } from "../models/anomaly_model.ts";
import type { ImageSet } from "../data/types.ts";
import { pixelsTensor } from "./_pixels.ts";
import { withFixedFilters } from "../backend/wasm_kernels/conv2d.ts";
import { type ProgressSink, silentProgress } from "../util/progress.ts";
import {
  type BatchNormStatistics,
  type BatchNormStatsMode,
  withBatchNormStats,
} from "../models/batch_norm_scoring.ts";

/** Scores of a set, and optionally what the model saw. */
export interface ScoreResult {
  /** One score per image, higher = more anomalous. */
  scores: Float32Array;
  /** The latent codes per image, row-major [count, latent], when asked (EDE-GAN: z, z_hat). */
  z?: Float32Array;
  zHat?: Float32Array;
  /** Reconstructions of the images listed in `reconstruct`, NHWC floats in [-1, 1]. */
  reconstructions?: Map<number, Float32Array>;
  /** The scores of every kind asked for (`scoreKind` and `kinds`), one per image each. */
  byKind: Record<string, Float32Array>;
}

/** Options of {@link scoreImages}. */
export interface ScoreOptions {
  /** Images per forward pass (default 256). */
  batchSize?: number;
  /** Also return the latent codes (z and z_hat). */
  keepLatents?: boolean;
  /** Indices of images whose reconstruction to return. */
  reconstruct?: number[];
  /** Progress of the pass, in images. */
  progress?: ProgressSink;
  /** What `scores` measures: one of the model's `scoreKinds` (default its first, its score). */
  scoreKind?: string;
  /** Kinds also computed in the same pass, returned in `byKind` (with `scoreKind`). */
  kinds?: readonly string[];
  /**
   * Which statistics BatchNorm normalises by, in models that have it: `moving` (default, the
   * averages kept in training), `per-image` (each image's own, as training at batch 1 computes),
   * or `recomputed` (re-estimated over training normals; pass them as `recomputedStats`).
   */
  bnStats?: BatchNormStatsMode;
  /**
   * The statistics of `bnStats: "recomputed"` (EDE-GAN's `recomputeBatchNormStats`; any model's
   * through its registry entry's `batchNormScoring`).
   */
  recomputedStats?: BatchNormStatistics;
}

/**
 * Scores every image of a set with any {@link AnomalyModel}: one `tf.tidy` and one read per batch.
 * Values are read with `await tensor.data()` (synchronously on the CPU backends: cpu, wasm,
 * onednn, tensorflow), so scoring runs on every backend, webgpu included. A score that is NaN or
 * infinite is an error naming the image; a kind the model does not compute is an error naming
 * `scoreKind` and the model's kinds.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { createModel } from "../models/registry.ts";
 * import { scoreImages } from "./score.ts";
 * await tf.setBackend("cpu");
 * const model = createModel("ede-gan", { width: 2, latentSize: 4 }, { imageSize: 32, channels: 1 }, 1);
 * const set = { pixels: new Uint8Array(3 * 32 * 32), labels: new Int32Array(3), count: 3,
 *   height: 32, width: 32, channels: 1 };
 * const { scores } = await scoreImages(model, set);
 * assertEquals(scores.length, 3);
 * model.dispose();
 * ```
 */
export async function scoreImages(
  model: AnomalyModel,
  set: ImageSet,
  opts: ScoreOptions = {},
): Promise<ScoreResult> {
  const { bnStats = "moving" } = opts;
  if (bnStats === "recomputed") {
    if (!opts.recomputedStats) {
      throw new Error(
        "bnStats 'recomputed': no recomputedStats given (recomputeBatchNormStats computes them)",
      );
    }
    const copy = await withBatchNormStats(model, opts.recomputedStats);
    try {
      return await scorePass(copy, set, opts, "moving");
    } finally {
      copy.dispose();
    }
  }
  if (bnStats !== "moving" && bnStats !== "per-image") {
    throw new Error(`bnStats: expected moving, recomputed or per-image, got '${bnStats}'`);
  }
  return await scorePass(model, set, opts, bnStats);
}

/** Backends whose tensors live in CPU memory, read without waiting (webgpu and GPUs are not). */
const SYNC_READ_BACKENDS = new Set(["cpu", "wasm", "tensorflow"]);

async function scorePass(
  model: AnomalyModel,
  set: ImageSet,
  opts: ScoreOptions,
  batchNorm: "moving" | "per-image",
): Promise<ScoreResult> {
  const { batchSize = 256, keepLatents = false, progress = silentProgress } = opts;
  const { imageSize, channels } = model.config;
  const scoreKind = opts.scoreKind ?? model.scoreKinds[0];
  for (const kind of [scoreKind, ...(opts.kinds ?? [])]) {
    if (!model.scoreKinds.includes(kind)) {
      throw new Error(`scoreKind: expected ${model.scoreKinds.join(", ")}, got '${kind}'`);
    }
  }
  const kinds = model.scoreKinds.filter((k) => k === scoreKind || opts.kinds?.includes(k));
  if (set.height !== imageSize || set.width !== imageSize || set.channels !== channels) {
    throw new Error(
      `images are ${set.height}x${set.width}x${set.channels}, the model expects ` +
        `${imageSize}x${imageSize}x${channels}`,
    );
  }
  const byKind: Record<string, Float32Array> = Object.fromEntries(
    kinds.map((k) => [k, new Float32Array(set.count)]),
  );
  const latents: { z?: Float32Array; zHat?: Float32Array } = {};
  const wanted = new Set(opts.reconstruct ?? []);
  const reconstructions = new Map<number, Float32Array>();
  const pixelsPerImage = imageSize * imageSize * channels;
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    const here = wanted.size === 0
      ? []
      : [...wanted].filter((i) => i >= start && i < end).sort((a, b) => a - b);
    // The tensors to read, computed at once; then read with `await data()` (every backend can).
    // Filters count as reused from the first batch (XNNPACK on the wasm backends), so an image's
    // score does not depend on what this process scored before (lib/backend/wasm_kernels/conv2d.ts).
    const tensors = withFixedFilters(() =>
      tf.tidy(() => {
        // The batch's images lie side by side: one pass over their bytes, on the wasm backends
        // straight into the tensor's memory (the values of `batchTensor`, bit for bit).
        const x = pixelsTensor(set, start, end);
        const out = model.scoreBatch(x, {
          kinds,
          latents: keepLatents,
          reconstructions: here.length > 0,
          batchNorm,
        });
        if (keepLatents && !out.latents) {
          throw new Error(`keepLatents: the '${model.name}' model has no latent codes`);
        }
        if (here.length > 0 && !out.reconstructions) {
          throw new Error(`reconstruct: the '${model.name}' model makes no reconstructions`);
        }
        const read: Record<string, tf.Tensor> = {};
        for (const kind of kinds) read[`score:${kind}`] = out.scores[kind];
        if (out.latents && keepLatents) {
          read.z = out.latents.z;
          if (out.latents.zHat) read.zHat = out.latents.zHat;
        }
        if (here.length > 0) read.reconstructions = out.reconstructions!;
        return read;
      })
    );
    try {
      const names = Object.keys(tensors);
      // Backends that compute on the CPU hold the values already: a synchronous read saves a
      // promise per batch (and per tensor read), which is a tenth of a small student's call at
      // batch 1.
      const values: Record<string, Float32Array> = {};
      if (SYNC_READ_BACKENDS.has(tf.getBackend())) {
        for (const name of names) values[name] = tensors[name].dataSync() as Float32Array;
      } else {
        const read = await Promise.all(names.map((name) => tensors[name].data()));
        names.forEach((name, i) => values[name] = read[i] as Float32Array);
      }
      for (const kind of kinds) {
        const d = values[`score:${kind}`];
        let bad = -1;
        for (let i = 0; i < d.length && bad < 0; i++) if (!Number.isFinite(d[i])) bad = i;
        if (bad >= 0) {
          const item = set.names?.[start + bad] ?? `image ${start + bad}`;
          throw new Error(
            `the ${kind === model.scoreKinds[0] ? "" : `${kind} `}score of ${item} is ${d[bad]}: ` +
              `the model's output is not finite (diverged or damaged weights); no decision can ` +
              `be made from it`,
          );
        }
        byKind[kind].set(d, start);
      }
      for (const name of ["z", "zHat"] as const) {
        if (!tensors[name]) continue;
        const size = tensors[name].shape[1]!;
        latents[name] ??= new Float32Array(set.count * size);
        latents[name]!.set(values[name], start * size);
      }
      if (here.length > 0) {
        const all = values.reconstructions;
        for (const i of here) {
          const offset = (i - start) * pixelsPerImage;
          reconstructions.set(i, all.slice(offset, offset + pixelsPerImage));
        }
      }
    } finally {
      tf.dispose(Object.values(tensors));
    }
    progress.update(end, set.count);
  }
  return {
    scores: byKind[scoreKind],
    byKind,
    z: latents.z,
    zHat: latents.zHat,
    ...(wanted.size > 0 ? { reconstructions } : {}),
  };
}
