/**
 * Batches: seeded index orders per epoch, and uint8 images turned into float tensors in [-1, 1]
 * only when a batch is needed.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { createRng, shuffledIndices } from "../util/rng.ts";
import type { ImageSet } from "./types.ts";

/**
 * The images at `indices` as a float32 NHWC tensor with values x/127.5 - 1 in [-1, 1] (the range
 * of a tanh generator). The caller owns (and disposes) the tensor.
 *
 * @example
 * ```ts
 * import "@tensorflow/tfjs-backend-cpu";
 * import { batchTensor } from "./batches.ts";
 * const set = { pixels: Uint8Array.of(0, 255, 51), labels: Int32Array.of(0, 0, 0), count: 3, height: 1, width: 1, channels: 1 };
 * const x = batchTensor(set, [1, 0]);
 * const v = x.dataSync();
 * if (x.shape.join() !== "2,1,1,1" || v[0] !== 1 || v[1] !== -1) throw new Error("scaled");
 * x.dispose();
 * ```
 */
export function batchTensor(set: ImageSet, indices: ArrayLike<number>): tf.Tensor4D {
  const per = set.height * set.width * set.channels;
  const values = new Float32Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < set.count)) {
      throw new Error(`indices: image ${j} out of range, expected 0..${set.count - 1}`);
    }
    const src = j * per, dst = i * per;
    for (let k = 0; k < per; k++) values[dst + k] = set.pixels[src + k] / 127.5 - 1;
  }
  return tf.tensor4d(values, [indices.length, set.height, set.width, set.channels], "float32");
}

/** Mixes a run seed and an epoch into one 32-bit seed (so seed 1/epoch 0 != seed 0/epoch 1). */
function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) + Math.imul(epoch | 0, 0x85ebca77) + epoch) >>> 0;
}

/**
 * Yields the indices 0..count-1 in batches of `batchSize`. With `shuffle`, the order is a
 * permutation seeded by (`seed`, `epoch`) only, so a run resumed at epoch e replays exactly the
 * order it would have had. The last short batch is yielded unless `dropLast`.
 *
 * @example
 * ```ts
 * import { batchIndices } from "./batches.ts";
 * const a = [...batchIndices(10, 4, { shuffle: true, seed: 1, epoch: 2 })];
 * const b = [...batchIndices(10, 4, { shuffle: true, seed: 1, epoch: 2 })];
 * if (a.length !== 3 || a[2].length !== 2 || a.join() !== b.join()) throw new Error("seeded");
 * if ([...batchIndices(10, 4, { shuffle: false, dropLast: true })].length !== 2) throw new Error();
 * ```
 */
export function* batchIndices(
  count: number,
  batchSize: number,
  opts: { shuffle: boolean; seed?: number; epoch?: number; dropLast?: boolean },
): Generator<Int32Array> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize: ${batchSize} invalid, expected a positive integer`);
  }
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`count: ${count} invalid, expected a non-negative integer`);
  }
  const order = opts.shuffle
    ? shuffledIndices(count, createRng(epochSeed(opts.seed ?? 0, opts.epoch ?? 0)))
    : Int32Array.from({ length: count }, (_, i) => i);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    if (opts.dropLast && end - start < batchSize) return;
    yield order.slice(start, end);
  }
}
