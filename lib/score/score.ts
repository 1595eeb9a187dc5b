/**
 * Scoring images with a trained EDE-GAN: the anomaly score of each image is the distance between
 * z = E1(x) and z_hat = E2(Dec(z)), computed in inference mode (BatchNorm's moving statistics).
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { EdeGan } from "../models/ede_gan.ts";
import { latentDistance } from "../models/losses.ts";
import type { ImageSet } from "../data/types.ts";
import { batchTensor } from "../data/batches.ts";
import { type ProgressSink, silentProgress } from "../util/progress.ts";

/** Scores of a set, and optionally what the generator saw. */
export interface ScoreResult {
  /** One score per image, higher = more anomalous. */
  scores: Float32Array;
  /** z and z_hat per image, row-major [count, latent], when asked for. */
  z?: Float32Array;
  zHat?: Float32Array;
  /** Reconstructions of the images listed in `reconstruct`, NHWC floats in [-1, 1]. */
  reconstructions?: Map<number, Float32Array>;
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
  const { batchSize = 256, keepLatents = false, progress = silentProgress } = opts;
  const { imageSize, channels, latentSize, scoreDistance } = model.config;
  if (set.height !== imageSize || set.width !== imageSize || set.channels !== channels) {
    throw new Error(
      `images are ${set.height}x${set.width}x${set.channels}, the model expects ` +
        `${imageSize}x${imageSize}x${channels}`,
    );
  }
  const scores = new Float32Array(set.count);
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
    const [distances, ...rest] = tf.tidy(() => {
      const x = batchTensor(set, indices);
      const out = model.generate(x, "infer");
      return [
        latentDistance(out.z, out.zHat, scoreDistance),
        ...(z && zHat ? [out.z, out.zHat] : []),
        ...(here.length > 0 ? [out.xHat] : []),
      ];
    });
    try {
      const [d, ...values] = await Promise.all([distances, ...rest].map((t) => t.data()));
      const bad = (d as Float32Array).findIndex((s) => !Number.isFinite(s));
      if (bad >= 0) {
        const item = set.names?.[start + bad] ?? `image ${start + bad}`;
        throw new Error(
          `the score of ${item} is ${d[bad]}: the model's output is not finite ` +
            `(diverged or damaged weights); no decision can be made from it`,
        );
      }
      scores.set(d as Float32Array, start);
      if (z && zHat) {
        z.set(values.shift() as Float32Array, start * latentSize);
        zHat.set(values.shift() as Float32Array, start * latentSize);
      }
      if (here.length > 0) {
        const all = values.shift() as Float32Array;
        for (const i of here) {
          const offset = (i - start) * pixelsPerImage;
          reconstructions.set(i, all.slice(offset, offset + pixelsPerImage));
        }
      }
    } finally {
      tf.dispose([distances, ...rest]);
    }
    progress.update(end, set.count);
  }
  return { scores, z, zHat, ...(wanted.size > 0 ? { reconstructions } : {}) };
}
