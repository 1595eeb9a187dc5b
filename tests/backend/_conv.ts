/**
 * Shared by the convolution kernel tests (wasm and onednn): deterministic inputs, the relative
 * error, and conv2d / conv2dTranspose values and gradients of one case on the current backend.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";

/** Padding as the cases give it. */
export type Pad = "same" | "valid" | number | [[0, 0], [number, number], [number, number], [0, 0]];
/** batch, height, width, inChannels, outChannels, kernel, stride, padding. */
export type Case = [number, number, number, number, number, number, number, Pad];

/** Deterministic values in [-1, 1) (a small LCG, so both backends see identical inputs). */
export function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2147483648 - 1;
  }
  return out;
}

export function input(shape: number[], seed: number): tf.Tensor4D {
  return tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed), shape) as unknown as tf.Tensor4D;
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  assertEquals(actual.length, expected.length);
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
  }
  return scale === 0 ? error : error / scale;
}

export const OUTPUTS = ["conv2d", "conv2d dx", "conv2d dW", "convT", "convT dx", "convT dW"];

/** conv2d and conv2dTranspose values and gradients for one case on the current backend. */
export function compute([n, h, w, ci, co, k, s, pad]: Case): Float32Array[] {
  return tf.tidy(() => {
    const x = input([n, h, w, ci], 1);
    const f = input([k, k, ci, co], 2);
    const p = pad as "same";
    const y = tf.conv2d(x, f, s, p);
    const dy = input(y.shape, 3);
    const [dx, dW] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p), dy))
    )([x, f]);
    const z = input(y.shape, 4);
    const r = input(x.shape, 5);
    const t = tf.conv2dTranspose(z, f, [n, h, w, ci], s, p);
    const [dz, dWt] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [n, h, w, ci], s, p), r))
    )([z, f]);
    return [y, dx, dW, t, dz, dWt].map((v) => v.dataSync() as Float32Array);
  });
}
