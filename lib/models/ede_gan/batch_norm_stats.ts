/**
 * Which statistics BatchNorm normalises by when a trained model scores: the moving averages kept
 * in training (`moving`), statistics re-estimated over the training normals after training
 * (`recomputed`), or each image's own (`per-image`). A net trained at batch 1 normalised every
 * image by its own statistics, so scoring it with moving averages computes another function.
 *
 * {@link recomputeBatchNormStats} runs EDE-GAN's parts in training mode, so it takes an EDE-GAN.
 * The modes and `withBatchNormStats`, which takes any model whose BatchNorm tensors are keyed
 * `layer/movingMean` and `layer/movingVariance`, are model-agnostic: `../batch_norm_scoring.ts`.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { EdeGan } from "./network.ts";
import type { BatchNormStatistics } from "../batch_norm_scoring.ts";
import type { ImageSet } from "../../data/types.ts";
import { batchTensor } from "../../data/batches.ts";
import { join } from "@std/path";
import { writeJsonAtomic } from "../../util/atomic.ts";

// The modes and the copy with other statistics are model-agnostic (`../batch_norm_scoring.ts`);
// re-exported here, where EDE-GAN's study of them has always been imported from.
export {
  BATCH_NORM_STATS_MODES,
  type BatchNormStatistics,
  type BatchNormStatsMode,
  withBatchNormStats,
} from "../batch_norm_scoring.ts";

/**
 * Re-estimates every BatchNorm layer's statistics over `images` (the training normals): the
 * model runs in training mode on consecutive batches of `batchSize` (the run's own training batch
 * size, so each layer sees the activations it saw in training; a last partial batch is left out
 * unless it is the only one), the generator on x and the discriminator on x and x_hat as in a
 * training step, and each layer's batch statistics are pooled into one population mean and
 * variance (as PyTorch's `torch.optim.swa_utils.update_bn` with cumulative averaging). Nothing
 * in `model` changes.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import { EdeGan } from "./mod.ts";
 * import { recomputeBatchNormStats } from "./batch_norm_stats.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const set = { pixels: Uint8Array.from({ length: 4 * 32 * 32 }, (_, i) => i % 251),
 *   labels: new Int32Array(4), count: 4, height: 32, width: 32, channels: 1 };
 * const stats = await recomputeBatchNormStats(model, set, { batchSize: 2 });
 * if (stats.images !== 4 || !stats.layers["encoder1/conv1"]) throw new Error();
 * model.dispose();
 * ```
 */
export async function recomputeBatchNormStats(
  model: EdeGan,
  images: ImageSet,
  opts: { batchSize?: number } = {},
): Promise<BatchNormStatistics> {
  const batchSize = Math.min(opts.batchSize ?? 64, images.count);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(
      `recomputeBatchNormStats: expected images and a positive batch size, got ${images.count} ` +
        `image(s) and batch size ${opts.batchSize}`,
    );
  }
  const sums = new Map<string, { mean: Float64Array; square: Float64Array; count: number }>();
  const batches = Math.floor(images.count / batchSize);
  model.discardBatchStats();
  for (let b = 0; b < batches; b++) {
    const indices = Int32Array.from({ length: batchSize }, (_, i) => b * batchSize + i);
    tf.tidy(() => {
      const x = batchTensor(images, indices);
      const { xHat } = model.generate(x, "train");
      model.discriminate(x, "train");
      model.discriminate(xHat, "train");
    });
    const taken = model.takeBatchStats();
    try {
      const values = await Promise.all(
        taken.flatMap((s) => [s.mean.data(), s.variance.data()]),
      );
      taken.forEach(({ key, count }, i) => {
        const mean = values[2 * i];
        const variance = values[2 * i + 1];
        let sum = sums.get(key);
        if (!sum) {
          sum = {
            mean: new Float64Array(mean.length),
            square: new Float64Array(mean.length),
            count: 0,
          };
          sums.set(key, sum);
        }
        for (let c = 0; c < mean.length; c++) {
          sum.mean[c] += mean[c] * count;
          sum.square[c] += (variance[c] + mean[c] * mean[c]) * count;
        }
        sum.count += count;
      });
    } finally {
      for (const s of taken) tf.dispose([s.mean, s.variance]);
    }
  }
  const layers: BatchNormStatistics["layers"] = {};
  for (const [key, { mean, square, count }] of sums) {
    const m = [...mean].map((v) => v / count);
    // Unbiased, as the moving variance is kept (count is batch x height x width, or twice that).
    const unbiased = count > 1 ? count / (count - 1) : 1;
    const variance = [...square].map((v, c) => Math.max(0, v / count - m[c] * m[c]) * unbiased);
    layers[key] = { mean: m, variance };
  }
  return { batchSize, images: batches * batchSize, layers };
}

/**
 * The recomputed statistics of the model saved in `modelDir`, stored in the run beside it as
 * `bn-recomputed.json` (`bn-recomputed-live.json` for a run's live weights, `weights: "live"`;
 * with the SHA-256 of `weights.bin`, and `ema.bin` if any, they belong to): read from there when
 * they belong to these weights and were estimated with the same batch size, else computed by
 * {@link recomputeBatchNormStats} over `train` and written there atomically. Returns them with
 * the file's path and whether they were computed now.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a trained model folder and its training images
 * import { storedRecomputedStats } from "./batch_norm_stats.ts";
 * const { stats, path } = await storedRecomputedStats("runs/mnist-2/model", model, data.train, 1);
 * ```
 */
export async function storedRecomputedStats(
  modelDir: string,
  model: EdeGan,
  train: ImageSet,
  batchSize: number,
  opts: { weights?: "averaged" | "live" } = {},
): Promise<{ stats: BatchNormStatistics; path: string; computed: boolean }> {
  const file = opts.weights === "live" ? "bn-recomputed-live.json" : "bn-recomputed.json";
  const path = join(modelDir, "..", file);
  // The weights scored: weights.bin, and the generator average (ema.bin) when there is one.
  const digest = await sha256([join(modelDir, "weights.bin"), join(modelDir, "ema.bin")]);
  try {
    const saved = JSON.parse(await Deno.readTextFile(path));
    const wanted = Math.min(batchSize, train.count);
    if (saved.weightsSha256 === digest && saved.stats?.batchSize === wanted) {
      return { stats: saved.stats as BatchNormStatistics, path, computed: false };
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound) && !(error instanceof SyntaxError)) throw error;
  }
  const stats = await recomputeBatchNormStats(model, train, { batchSize });
  await writeJsonAtomic(path, { weightsSha256: digest, stats });
  return { stats, path, computed: true };
}

async function sha256(paths: string[]): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const path of paths) {
    try {
      parts.push(await Deno.readFile(path));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || parts.length === 0) throw error;
    }
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, p) => (bytes.set(p, offset), offset + p.length), 0);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...hash].map((b) => b.toString(16).padStart(2, "0")).join("");
}
