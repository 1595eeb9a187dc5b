/**
 * Scoring images with a trained EDE-GAN. The anomaly score of each image is, by default, the
 * distance between z = E1(x) and z_hat = E2(Dec(z)) (the paper's score), computed in inference
 * mode (BatchNorm's moving statistics). Two other kinds, from the same forward pass, are what the
 * paper compares it with: the image reconstruction error and the discriminator-feature distance.
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { EdeGan, GeneratorOutput, Mode } from "../models/ede_gan.ts";
import type { ScoreDistance } from "../models/config.ts";
import { latentDistance } from "../models/losses.ts";
import type { ImageSet } from "../data/types.ts";
import { batchTensor } from "../data/batches.ts";
import { type ProgressSink, silentProgress } from "../util/progress.ts";
import {
  type BatchNormStatistics,
  type BatchNormStatsMode,
  withBatchNormStats,
} from "./batch_norm_stats.ts";

/**
 * What an anomaly score measures, each per image and higher = more anomalous:
 * - `latent`: the distance between z and z_hat (the model's `scoreDistance`, mean squared by
 *   default): EDE-GAN's and GANomaly's score;
 * - `reconstruction`: the mean absolute pixel error |x - x_hat| (L1, in [-1, 1] pixel units), the
 *   contextual loss of GANomaly and the R(x) of Skip-GANomaly;
 * - `features`: the mean squared difference of the discriminator's last feature maps of x and
 *   x_hat, the feature-matching loss of GANomaly and the L(x) of Skip-GANomaly.
 */
export type ScoreKind = "latent" | "reconstruction" | "features";

/** Every score kind, the default first. */
export const SCORE_KINDS: readonly ScoreKind[] = ["latent", "reconstruction", "features"];

/** Scores of a set, and optionally what the generator saw. */
export interface ScoreResult {
  /** One score per image, higher = more anomalous. */
  scores: Float32Array;
  /** z and z_hat per image, row-major [count, latent], when asked for. */
  z?: Float32Array;
  zHat?: Float32Array;
  /** Reconstructions of the images listed in `reconstruct`, NHWC floats in [-1, 1]. */
  reconstructions?: Map<number, Float32Array>;
  /** The scores of every kind asked for (`scoreKind` and `kinds`), one per image each. */
  byKind: Partial<Record<ScoreKind, Float32Array>>;
}

/** Options of {@link scoreImages}. */
export interface ScoreOptions {
  /** Images per forward pass (default 256). */
  batchSize?: number;
  /** Also return z and z_hat. */
  keepLatents?: boolean;
  /** Indices of images whose reconstruction to return. */
  reconstruct?: number[];
  /** Progress of the pass, in images. */
  progress?: ProgressSink;
  /** What `scores` measures (default `latent`, the paper's score). */
  scoreKind?: ScoreKind;
  /** Kinds also computed in the same pass, returned in `byKind` (with `scoreKind`). */
  kinds?: readonly ScoreKind[];
  /**
   * Which statistics BatchNorm normalises by: `moving` (default, the averages kept in training),
   * `per-image` (each image's own, as training at batch 1 computes), or `recomputed` (re-estimated
   * over training normals; pass them as `recomputedStats`).
   */
  bnStats?: BatchNormStatsMode;
  /** The statistics of `bnStats: "recomputed"`, from `recomputeBatchNormStats`. */
  recomputedStats?: BatchNormStatistics;
}

/**
 * Scores every image of a set. Values are read with `await tensor.data()`, so scoring runs on
 * every backend, webgpu included. A score that is NaN or infinite is an error naming the image.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan.ts";
 * import { scoreImages } from "./score.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const set = { pixels: new Uint8Array(3 * 32 * 32), labels: new Int32Array(3), count: 3,
 *   height: 32, width: 32, channels: 1 };
 * const { scores } = await scoreImages(model, set);
 * if (scores.length !== 3) throw new Error();
 * model.dispose();
 * ```
 */
export async function scoreImages(
  model: EdeGan,
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
      return await scorePass(copy, set, opts, "infer");
    } finally {
      copy.dispose();
    }
  }
  if (bnStats !== "moving" && bnStats !== "per-image") {
    throw new Error(`bnStats: expected moving, recomputed or per-image, got '${bnStats}'`);
  }
  return await scorePass(model, set, opts, bnStats === "moving" ? "infer" : "perImage");
}

async function scorePass(
  model: EdeGan,
  set: ImageSet,
  opts: ScoreOptions,
  mode: Mode,
): Promise<ScoreResult> {
  const { batchSize = 256, keepLatents = false, progress = silentProgress } = opts;
  const { imageSize, channels, latentSize, scoreDistance } = model.config;
  const scoreKind = opts.scoreKind ?? "latent";
  for (const kind of [scoreKind, ...(opts.kinds ?? [])]) {
    if (!SCORE_KINDS.includes(kind)) {
      throw new Error(`scoreKind: expected ${SCORE_KINDS.join(", ")}, got '${kind}'`);
    }
  }
  const kinds = SCORE_KINDS.filter((k) => k === scoreKind || opts.kinds?.includes(k));
  if (set.height !== imageSize || set.width !== imageSize || set.channels !== channels) {
    throw new Error(
      `images are ${set.height}x${set.width}x${set.channels}, the model expects ` +
        `${imageSize}x${imageSize}x${channels}`,
    );
  }
  const byKind = Object.fromEntries(kinds.map((k) => [k, new Float32Array(set.count)])) as Partial<
    Record<ScoreKind, Float32Array>
  >;
  const z = keepLatents ? new Float32Array(set.count * latentSize) : undefined;
  const zHat = keepLatents ? new Float32Array(set.count * latentSize) : undefined;
  const wanted = new Set(opts.reconstruct ?? []);
  const reconstructions = new Map<number, Float32Array>();
  const pixelsPerImage = imageSize * imageSize * channels;
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
    const here = [...indices].filter((i) => wanted.has(i));
    // The tensors to read, computed at once; then read with `await data()` (every backend can).
    const tensors = tf.tidy(() => {
      const x = batchTensor(set, indices);
      const out = model.generate(x, mode);
      const perKind = kinds.map((kind) => kindScore(model, kind, x, out, mode, scoreDistance));
      return [
        ...perKind,
        ...(z && zHat ? [out.z, out.zHat] : []),
        ...(here.length > 0 ? [out.xHat] : []),
      ];
    });
    try {
      const values = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
      for (const kind of kinds) {
        const d = values.shift()!;
        const bad = d.findIndex((s) => !Number.isFinite(s));
        if (bad >= 0) {
          const item = set.names?.[start + bad] ?? `image ${start + bad}`;
          throw new Error(
            `the ${kind === "latent" ? "" : `${kind} `}score of ${item} is ${d[bad]}: the ` +
              `model's output is not finite (diverged or damaged weights); no decision can be ` +
              `made from it`,
          );
        }
        byKind[kind]!.set(d, start);
      }
      if (z && zHat) {
        z.set(values.shift()!, start * latentSize);
        zHat.set(values.shift()!, start * latentSize);
      }
      if (here.length > 0) {
        const all = values.shift()!;
        for (const i of here) {
          const offset = (i - start) * pixelsPerImage;
          reconstructions.set(i, all.slice(offset, offset + pixelsPerImage));
        }
      }
    } finally {
      tf.dispose(tensors);
    }
    progress.update(end, set.count);
  }
  return {
    scores: byKind[scoreKind]!,
    byKind,
    z,
    zHat,
    ...(wanted.size > 0 ? { reconstructions } : {}),
  };
}

/** One kind of score per image of a batch (see {@link ScoreKind}). */
function kindScore(
  model: EdeGan,
  kind: ScoreKind,
  x: tf.Tensor4D,
  out: GeneratorOutput,
  mode: Mode,
  distance: ScoreDistance,
): tf.Tensor1D {
  switch (kind) {
    case "latent":
      return latentDistance(out.z, out.zHat, distance);
    case "reconstruction":
      return tf.mean(tf.abs(tf.sub(x, out.xHat)), [1, 2, 3]) as tf.Tensor1D;
    case "features": {
      const real = model.discriminate(x, mode).features;
      const fake = model.discriminate(out.xHat, mode).features;
      return tf.mean(tf.squaredDifference(real, fake), [1, 2, 3]) as tf.Tensor1D;
    }
  }
}
