/**
 * Pixels to tensor for scoring: a run of consecutive images of a set as the float32 tensor that
 * `batchTensor` (`lib/data/batches.ts`) makes of them, with the same values, made with less work
 * per batch.
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { ImageSet } from "../data/types.ts";

/** p / 127.5 - 1 for every byte p, rounded to float32 as `batchTensor` stores it. */
const SCALED = Float32Array.from({ length: 256 }, (_, p) => p / 127.5 - 1);

/** out[i] = SCALED[pixels[i]]. */
function scale(pixels: Uint8Array, out: Float32Array): void {
  for (let i = 0; i < pixels.length; i++) out[i] = SCALED[pixels[i]];
}

/**
 * Images `start` to `end - 1` of `set` as a float32 NHWC tensor [end - start, H, W, C] with values
 * x/127.5 - 1 in [-1, 1], equal bit for bit to `batchTensor(set, [start, ..., end - 1])`: one
 * table look-up per pixel (no division), over the images' bytes in one run (they lie side by
 * side), and on the wasm backends (`wasm`, `onednn`) written straight into the tensor's memory on
 * the wasm heap, where `batchTensor` fills a new array that creating the tensor then copies.
 * Throws when the range is not one inside the set. The caller owns (and disposes) the tensor.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { pixelsTensor } from "./_pixels.ts";
 * await tf.setBackend("cpu");
 * const set = { pixels: Uint8Array.of(0, 255, 51), labels: Int32Array.of(0, 0, 0), count: 3,
 *   height: 1, width: 1, channels: 1 };
 * const x = pixelsTensor(set, 1, 3);
 * assertEquals(x.shape, [2, 1, 1, 1]);
 * assertEquals(Array.from(x.dataSync()), [1, Math.fround(51 / 127.5 - 1)]);
 * x.dispose();
 * ```
 */
export function pixelsTensor(set: ImageSet, start: number, end: number): tf.Tensor4D {
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end)) {
    throw new Error(`pixelsTensor: images ${start}..${end - 1} is not a range`);
  }
  if (end > set.count) {
    throw new Error(`pixelsTensor: image ${end - 1} out of range, expected 0..${set.count - 1}`);
  }
  const per = set.height * set.width * set.channels;
  const shape: [number, number, number, number] = [
    end - start,
    set.height,
    set.width,
    set.channels,
  ];
  const pixels = set.pixels.subarray(start * per, end * per);
  if (tf.getBackend() === "wasm" && pixels.length > 0) {
    const backend = tf.backend() as BackendWasm;
    const info = backend.makeOutput(shape, "float32");
    scale(pixels, backend.typedArrayFromHeap(info) as Float32Array);
    return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
  }
  const values = new Float32Array(pixels.length);
  scale(pixels, values);
  return tf.tensor4d(values, shape, "float32");
}

/** The table look-up of {@link pixelsTensor} (out[i] = p / 127.5 - 1 for p = pixels[i], as
 * float32), for callers that feed another runtime (public as `scalePixels` of `images.ts`). */
export { scale as scalePixels };
