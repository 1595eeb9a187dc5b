/**
 * The scoring path of a trained EDE-GAN as plain data, ready to be written in any format:
 * encoder1 -> decoder -> encoder2, each layer a convolution with BatchNorm folded in (moving or
 * recomputed statistics) or followed by a per-image normalisation (`per-image` statistics),
 * then the activation; the score is the model's latent distance of z and z_hat.
 *
 * @module
 */

import {
  BN_EPSILON,
  type EdeGan,
  type LayerSpec,
  LEAKY_SLOPE,
  type ScoreDistance,
} from "../models/ede_gan/mod.ts";
import type {
  BatchNormStatistics,
  BatchNormStatsMode,
} from "../models/ede_gan/batch_norm_stats.ts";
import { foldBatchNorm } from "./fold_batch_norm.ts";

/** One layer of an exported scoring path. */
export interface ExportLayer {
  /** `part/layer`, as in the model (`encoder1/conv1`). */
  name: string;
  kind: "conv" | "convTranspose";
  /** tfjs layout: `conv` [k, k, in, out], `convTranspose` [k, k, out, in]. */
  kernelShape: number[];
  kernel: Float32Array;
  /** [out]: the folded BatchNorm shift (absent when the layer has no BatchNorm, or per-image). */
  bias?: Float32Array;
  /**
   * BatchNorm by each image's own statistics over height and width (biased variance), then
   * gamma and beta: ONNX's InstanceNormalization. Present only for `per-image` statistics.
   */
  instanceNorm?: { gamma: Float32Array; beta: Float32Array; epsilon: number };
  stride: number;
  padding: "same" | "valid";
  inSize: number;
  outSize: number;
  outChannels: number;
  activation: "leakyRelu" | "relu" | "tanh" | "none";
}

/** The whole scoring path: what an exported model computes. */
export interface ScoringPath {
  /** Input: [n, imageSize, imageSize, channels], pixels scaled to [-1, 1] (p / 127.5 - 1). */
  imageSize: number;
  channels: number;
  latentSize: number;
  /** `tanh` applies tanh to both encoders' outputs (z and z_hat). */
  latent: "tanh" | "none";
  /** How the score is computed from z and z_hat (see `latentDistance`). */
  scoreDistance: ScoreDistance;
  /** The LeakyReLU slope of the encoders. */
  leakySlope: number;
  /** The BatchNorm statistics the path computes with. */
  bnStats: BatchNormStatsMode;
  encoder1: ExportLayer[];
  decoder: ExportLayer[];
  encoder2: ExportLayer[];
}

/**
 * The scoring path of `model` under BatchNorm statistics `bnStats`: `moving` folds the moving
 * averages into the convolutions, `recomputed` folds `recomputedStats` (from
 * `recomputeBatchNormStats`), `per-image` keeps each BatchNorm as a per-image normalisation
 * (what scoring with `bnStats: "per-image"` computes). Weights are copied; the model is unchanged.
 *
 * @throws Error when `recomputed` has no statistics, or they lack a layer of the model.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { scoringPath } from "./scoring_path.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 16 }, 1);
 * const path = scoringPath(model, "moving");
 * assertEquals(path.encoder1.map((l) => l.name).join(), "encoder1/conv0,encoder1/conv1,encoder1/conv2,encoder1/final");
 * assertEquals(path.decoder[0].bias?.length, 8);
 * model.dispose();
 * ```
 */
export function scoringPath(
  model: EdeGan,
  bnStats: BatchNormStatsMode,
  recomputedStats?: BatchNormStatistics,
): ScoringPath {
  if (bnStats === "recomputed" && !recomputedStats) {
    throw new Error("scoringPath: bnStats 'recomputed' needs the recomputed statistics");
  }
  const values = (key: string) => {
    const v = model.variables.get(key);
    if (!v) throw new Error(`scoringPath: the model has no tensor '${key}'`);
    return v.dataSync() as Float32Array;
  };
  const part = (name: "encoder1" | "decoder" | "encoder2"): ExportLayer[] =>
    model.layers[name].map((spec: LayerSpec) => {
      const key = `${name}/${spec.name}`;
      const kernelShape = model.variables.get(`${key}/kernel`)!.shape;
      const kernel = Float32Array.from(values(`${key}/kernel`));
      const layer: ExportLayer = {
        name: key,
        kind: spec.kind,
        kernelShape,
        kernel,
        stride: spec.stride,
        padding: spec.padding,
        inSize: spec.inSize,
        outSize: spec.outSize,
        outChannels: spec.outChannels,
        activation: spec.activation,
      };
      if (!spec.batchNorm) return layer;
      const gamma = Float32Array.from(values(`${key}/gamma`));
      const beta = Float32Array.from(values(`${key}/beta`));
      if (bnStats === "per-image") {
        return { ...layer, instanceNorm: { gamma, beta, epsilon: BN_EPSILON } };
      }
      let mean = values(`${key}/movingMean`);
      let variance = values(`${key}/movingVariance`);
      if (bnStats === "recomputed") {
        const stats = recomputedStats!.layers[key];
        if (!stats) {
          throw new Error(`scoringPath: the recomputed statistics have no layer '${key}'`);
        }
        mean = Float32Array.from(stats.mean);
        variance = Float32Array.from(stats.variance);
      }
      const folded = foldBatchNorm(spec.kind, kernel, kernelShape, {
        gamma,
        beta,
        mean,
        variance,
        epsilon: BN_EPSILON,
      });
      return { ...layer, kernel: folded.kernel, bias: folded.bias };
    });
  const { imageSize, channels, latentSize, latent, scoreDistance } = model.config;
  return {
    imageSize,
    channels,
    latentSize,
    latent,
    scoreDistance,
    leakySlope: LEAKY_SLOPE,
    bnStats,
    encoder1: part("encoder1"),
    decoder: part("decoder"),
    encoder2: part("encoder2"),
  };
}
