/**
 * `batchStatistics` and `movingStatistics`: the mean and variance a BatchNorm layer normalises a
 * batch by, in training (the batch's own, collected for the step to move the running averages
 * with afterwards, see `updateMovingAverages`) and in inference (the running averages). Every
 * model with BatchNorm layers keys their averages `part/layer/movingMean` and
 * `part/layer/movingVariance`, and collects its batch statistics under `part/layer`.
 *
 * Source: Ioffe & Szegedy 2015 (batch normalisation).
 *
 * @module
 */

import * as tf from "../tf.ts";

/** Per-channel statistics a BatchNorm layer normalises by. */
export interface ChannelStatistics {
  /** μ: [C]. */
  mean: tf.Tensor1D;
  /** σ²: [C]. */
  variance: tf.Tensor1D;
}

/** A layer's batch statistics, collected by a training-mode pass. */
export interface CollectedStatistics extends ChannelStatistics {
  /** The layer, `part/layer`: its running averages are `${key}/movingMean` and `…/movingVariance`. */
  key: string;
  /** How many values μ and σ² were taken over (N·H·W). */
  count: number;
}

/**
 * The statistics of a training-mode BatchNorm layer: the mean and biased variance of x
 * [N, H, W, C] per channel over N, H and W, kept past an enclosing `tf.tidy` and appended to
 * `collected` under `key` with their count N·H·W (whoever empties `collected` disposes them).
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertEquals } from "@std/assert";
 * import { batchStatistics, type CollectedStatistics } from "./batch_statistics.ts";
 * await tf.setBackend("cpu");
 * const collected: CollectedStatistics[] = [];
 * const x = tf.tensor4d([1, 3, 5, 7], [2, 1, 2, 1]);
 * // The statistics outlive the tidy that made them: a step reads them after its gradients.
 * tf.tidy(() => {
 *   batchStatistics(x, "encoder/conv1", collected);
 * });
 * const [{ key, mean, variance, count }] = collected;
 * assertEquals([key, count, mean.dataSync()[0], variance.dataSync()[0]], ["encoder/conv1", 4, 4, 5]);
 * tf.dispose([mean, variance]);
 * ```
 */
export function batchStatistics(
  x: tf.Tensor4D,
  key: string,
  collected: CollectedStatistics[],
): ChannelStatistics {
  const { mean, variance } = tf.moments(x, [0, 1, 2]) as ChannelStatistics;
  const [n, h, w] = x.shape;
  collected.push({ key, mean: tf.keep(mean), variance: tf.keep(variance), count: n * h * w });
  return { mean, variance };
}

/**
 * The statistics of an inference-mode BatchNorm layer `key` (`part/layer`): its running averages,
 * `${key}/movingMean` and `${key}/movingVariance` of `variables` (an error names a missing one).
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertEquals } from "@std/assert";
 * import { movingStatistics } from "./batch_statistics.ts";
 * const variables = new Map([
 *   ["d/bn/movingMean", tf.variable(tf.tensor1d([2]))],
 *   ["d/bn/movingVariance", tf.variable(tf.tensor1d([3]))],
 * ]);
 * const { mean, variance } = movingStatistics(variables, "d/bn");
 * assertEquals([mean.dataSync()[0], variance.dataSync()[0]], [2, 3]);
 * ```
 */
export function movingStatistics(
  variables: ReadonlyMap<string, tf.Tensor>,
  key: string,
): ChannelStatistics {
  const mean = variables.get(`${key}/movingMean`);
  const variance = variables.get(`${key}/movingVariance`);
  if (!mean || !variance) throw new Error(`BatchNorm layer '${key}': no running averages`);
  return { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
