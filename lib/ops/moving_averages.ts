/**
 * `updateMovingAverages`: moves BatchNorm's running averages of every layer toward the batch
 * statistics a training step collected, in one call: m ← (1 - momentum)·m + momentum·μ and
 * s ← (1 - momentum)·s + momentum·σ²·n/(n - 1) (unbiased, as PyTorch), statistic after statistic in
 * the order they were collected (a layer run twice in a step moves twice). Where the active backend
 * has {@link MOVING_AVERAGES} (wasm, onednn) one kernel computes every layer with the same float32
 * operations as the tf ops it replaces (five multiplies and two adds a statistic, each rounded to
 * float32); elsewhere the op runs those tf ops.
 *
 * Source: Ioffe & Szegedy 2015; PyTorch's `BatchNorm2d` running statistics (momentum 0.1).
 *
 * @module
 */

import * as tf from "../tf.ts";
import { hasKernel, MOVING_AVERAGES, type MovingAveragesAttrs } from "./kernel_names.ts";

/** One collected batch statistic and the running averages it moves. */
export interface BatchStatistic {
  movingMean: tf.Variable;
  movingVariance: tf.Variable;
  /** μ over the batch: [C]. */
  mean: tf.Tensor1D;
  /** σ², biased: [C]. */
  variance: tf.Tensor1D;
  /** How many values μ and σ² were taken over (N·H·W). */
  count: number;
}

/**
 * Applies `statistics` in order to their running averages (assigned in place of the variables);
 * disposes nothing it was given.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertEquals } from "@std/assert";
 * import { updateMovingAverages } from "./moving_averages.ts";
 * await tf.setBackend("cpu");
 * const movingMean = tf.variable(tf.zeros([1]));
 * const movingVariance = tf.variable(tf.ones([1]));
 * const [mean, variance] = [tf.tensor1d([1]), tf.tensor1d([1])];
 * const stat = { movingMean, movingVariance, mean, variance, count: 2 };
 * updateMovingAverages([stat, stat], 0.5);
 * assertEquals([movingMean.dataSync()[0], movingVariance.dataSync()[0]], [0.75, 1.75]);
 * ```
 */
export function updateMovingAverages(
  statistics: readonly BatchStatistic[],
  momentum: number,
): void {
  if (statistics.length === 0) return;
  tf.tidy(() => {
    if (!hasKernel(MOVING_AVERAGES)) {
      for (const { movingMean, movingVariance, mean, variance, count } of statistics) {
        const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
        movingMean.assign(tf.add(tf.mul(movingMean, 1 - momentum), tf.mul(mean, momentum)));
        movingVariance.assign(
          tf.add(tf.mul(movingVariance, 1 - momentum), tf.mul(unbiased, momentum)),
        );
      }
      return;
    }
    const layers: tf.Variable[] = [];
    const inputs: tf.NamedTensorMap = {};
    const attrs: MovingAveragesAttrs = { momentum, layers: [], counts: [] };
    statistics.forEach(({ movingMean, movingVariance, mean, variance, count }, i) => {
      let k = layers.indexOf(movingMean);
      if (k < 0) {
        k = layers.push(movingMean) - 1;
        inputs[`movingMean${k}`] = movingMean;
        inputs[`movingVariance${k}`] = movingVariance;
      }
      inputs[`mean${i}`] = mean;
      inputs[`variance${i}`] = variance;
      attrs.layers.push(k);
      attrs.counts.push(count);
    });
    const out = tf.engine().runKernel(
      MOVING_AVERAGES,
      inputs,
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    layers.forEach((movingMean, k) => {
      movingMean.assign(out[2 * k]);
      (inputs[`movingVariance${k}`] as tf.Variable).assign(out[2 * k + 1]);
    });
  });
}
