/**
 * BatchNorm's statistics, the op both models call: in training the batch's mean and biased
 * variance over N, H and W, equal bit for bit to tfjs's `moments` (the ops the models ran before),
 * by hand on a small batch, collected under the layer's key and kept past `tf.tidy`; in inference
 * the layer's running averages, a missing one named.
 */

import { assertEquals, assertThrows } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import {
  batchStatistics,
  type CollectedStatistics,
  movingStatistics,
} from "../../lib/ops/batch_statistics.ts";
import { useBackend } from "../_helpers.ts";

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`batchStatistics: tf.moments over N, H, W bit for bit, collected and kept (${backend})`, async () => {
    await useBackend(backend);
    const shape: [number, number, number, number] = [3, 5, 4, 7];
    const x = tf.tensor4d(
      Float32Array.from({ length: 3 * 5 * 4 * 7 }, (_, i) => Math.sin(i * 0.37) * 2 + (i % 7)),
      shape,
    );
    const before = tf.memory().numTensors;
    const collected: CollectedStatistics[] = [];
    const returned = tf.tidy(() => {
      const { mean, variance } = batchStatistics(x, "encoder/conv2", collected);
      return [mean, variance];
    });
    const expected = tf.moments(x, [0, 1, 2]);
    assertEquals(collected.length, 1);
    const [{ key, mean, variance, count }] = collected;
    assertEquals([key, count, returned[0] === mean], ["encoder/conv2", 3 * 5 * 4, true]);
    assertEquals(mean.shape, [7]);
    assertEquals(mean.dataSync(), expected.mean.dataSync());
    assertEquals(variance.dataSync(), expected.variance.dataSync());
    // Channel 0 by hand, in float64: the variance is the biased one (divided by N·H·W).
    const values = [...x.dataSync()].filter((_, i) => i % 7 === 0);
    const mu = values.reduce((s, v) => s + v, 0) / values.length;
    const sigma2 = values.reduce((s, v) => s + (v - mu) ** 2, 0) / values.length;
    assertEquals(Math.abs(mean.dataSync()[0] - mu) < 1e-5, true);
    assertEquals(Math.abs(variance.dataSync()[0] - sigma2) < 1e-4, true);
    // Only the two kept statistics outlived the tidy.
    tf.dispose([expected.mean, expected.variance]);
    assertEquals(tf.memory().numTensors, before + 2);
    tf.dispose([mean, variance, x]);
  });
}

Deno.test("movingStatistics: the layer's running averages by key; a missing one is named", async () => {
  await useBackend("cpu");
  const variables = new Map([
    ["discriminator/conv2/movingMean", tf.variable(tf.tensor1d([0.5, -1]))],
    ["discriminator/conv2/movingVariance", tf.variable(tf.tensor1d([2, 3]))],
  ]);
  const { mean, variance } = movingStatistics(variables, "discriminator/conv2");
  assertEquals(mean, variables.get("discriminator/conv2/movingMean"));
  assertEquals([...variance.dataSync()], [2, 3]);
  assertThrows(
    () => movingStatistics(variables, "discriminator/conv3"),
    Error,
    "BatchNorm layer 'discriminator/conv3': no running averages",
  );
  for (const v of variables.values()) v.dispose();
});
