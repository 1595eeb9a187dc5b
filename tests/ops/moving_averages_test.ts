/**
 * BatchNorm's running averages in one call: the wasm kernel equals, bit for bit, the tf ops it
 * replaces (run on wasm, statistic after statistic, a layer twice), and the composed path on cpu
 * computes the same function.
 */

import { assert, assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { updateMovingAverages } from "../../lib/ops/moving_averages.ts";
import { hasKernel, MOVING_AVERAGES } from "../../lib/ops/kernel_names.ts";
import { maxAbsDiff, useBackend } from "../_helpers.ts";

const MOMENTUM = 0.1;
const CHANNELS = [64, 3, 128];
// Layer 0 twice (as the discriminator runs on real and on fake images), count 1 unbiased as is.
const ORDER = [0, 1, 0, 2];
const COUNTS = [4096, 1, 16, 64];

const values = (n: number, k: number, shift = 0) =>
  Float32Array.from({ length: n }, (_, i) => shift + Math.sin(i * k + 0.7) * 0.37);

/** The moving means and variances after the updates: by the op, or by the tf ops one by one. */
function run(byOp: boolean): Float32Array[] {
  return tf.tidy(() => {
    const mm = CHANNELS.map((c, k) => tf.variable(tf.tensor1d(values(c, 0.3 + k))));
    const mv = CHANNELS.map((c, k) => tf.variable(tf.tensor1d(values(c, 0.5 + k, 1))));
    const stats = ORDER.map((k, i) => ({
      movingMean: mm[k],
      movingVariance: mv[k],
      mean: tf.tensor1d(values(CHANNELS[k], 1.3 + i)),
      variance: tf.tensor1d(values(CHANNELS[k], 2.1 + i, 0.5)),
      count: COUNTS[i],
    }));
    if (byOp) {
      updateMovingAverages(stats, MOMENTUM);
    } else {
      // EdeGan.commitBatchStats before the op, line for line.
      for (const { movingMean, movingVariance, mean, variance, count } of stats) {
        const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
        movingMean.assign(tf.add(tf.mul(movingMean, 1 - MOMENTUM), tf.mul(mean, MOMENTUM)));
        movingVariance.assign(
          tf.add(tf.mul(movingVariance, 1 - MOMENTUM), tf.mul(unbiased, MOMENTUM)),
        );
      }
    }
    const out = [...mm, ...mv].map((v) => v.dataSync().slice() as Float32Array);
    tf.dispose([...mm, ...mv]);
    return out;
  });
}

Deno.test("updateMovingAverages: one wasm kernel equals the tf ops on wasm bit for bit", async () => {
  await useBackend("wasm");
  assert(hasKernel(MOVING_AVERAGES));
  const expected = run(false);
  const before = tf.memory().numTensors;
  const actual = run(true);
  assertEquals(tf.memory().numTensors, before, "tensors leaked");
  assertEquals(actual, expected);
  // The averages moved (layer 0 twice).
  assert(maxAbsDiff(actual[0], values(64, 0.3)) > 1e-3);
  await useBackend("cpu");
  assert(!hasKernel(MOVING_AVERAGES));
  const cpu = run(true);
  assertEquals(cpu, run(false));
  cpu.forEach((c, i) => assert(maxAbsDiff(c, actual[i]) < 1e-6, `cpu against wasm, ${i}`));
});
