/**
 * `adamUpdateFlat`: one Adam step over many weight tensors whose two moments lie in two flat
 * buffers. Where the active backend has {@link ADAM_UPDATE_FLAT} (wasm, onednn), one kernel call
 * updates every weight in one pass each and the moments in place; elsewhere the op composes tfjs
 * ops segment by segment. Both compute PyTorch's update with the same float32 operations in the
 * same order: m' = β1·m + (1-β1)·g, v' = β2·v + (1-β2)·g², p' = p - m' / (√(v' / c2) + ε)·stepSize
 * (tests compare them bit for bit).
 *
 * Source: Kingma & Ba 2015 (Adam); PyTorch's `torch.optim.Adam` (ε outside the square root).
 *
 * @module
 */

import * as tf from "../tf.ts";
import { ADAM_UPDATE_FLAT, type AdamUpdateAttrs, hasKernel } from "./kernel_names.ts";

/** One weight tensor of a flat Adam step and where its moments start in the flat buffers. */
export interface AdamSegment {
  param: tf.Tensor;
  grad: tf.Tensor;
  /** Its first element's index in m and v. */
  offset: number;
}

/** The updated weights (in the order of the segments) and moments. */
export interface AdamFlatResult {
  params: tf.Tensor[];
  /** m' [total]: `m` itself where the kernel updated it in place, else a new tensor. */
  m: tf.Tensor1D;
  /** v' [total], likewise. */
  v: tf.Tensor1D;
}

/**
 * One Adam step of `segments` (each param and grad float32 of one shape, at increasing offsets
 * that do not overlap) with moments m, v [total]. Elements of m, v outside every segment are left
 * as they are. The moments must belong to the caller alone (not shared with another tensor): the
 * fused kernel writes them in place. Errors: overlapping or out-of-range segments.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertEquals } from "@std/assert";
 * import { adamUpdateFlat } from "./adam_update.ts";
 * await tf.setBackend("cpu");
 * const { params, m } = adamUpdateFlat(
 *   [{ param: tf.ones([2]), grad: tf.ones([2]), offset: 1 }],
 *   tf.zeros([3]),
 *   tf.zeros([3]),
 *   { beta1: 0.5, beta2: 0.5, epsilon: 0, correction2: 0.5, stepSize: 1 },
 * );
 * assertEquals([...params[0].dataSync(), ...m.dataSync()], [0.5, 0.5, 0, 0.5, 0.5]);
 * ```
 */
export function adamUpdateFlat(
  segments: readonly AdamSegment[],
  m: tf.Tensor1D,
  v: tf.Tensor1D,
  attrs: AdamUpdateAttrs,
): AdamFlatResult {
  let end = 0;
  for (const { param, grad, offset } of segments) {
    if (offset < end || offset + param.size > m.size || grad.size !== param.size) {
      throw new Error(
        `adamUpdateFlat: segment at ${offset} of ${param.size} elements does not fit ` +
          `(previous end ${end}, moments ${m.size}, gradient ${grad.size})`,
      );
    }
    end = offset + param.size;
  }
  if (m.size !== v.size) throw new Error(`adamUpdateFlat: m has ${m.size}, v ${v.size} elements`);
  if (hasKernel(ADAM_UPDATE_FLAT)) {
    const inputs: tf.NamedTensorMap = { m, v };
    segments.forEach(({ param, grad }, i) => {
      inputs[`p${i}`] = param;
      inputs[`g${i}`] = grad;
    });
    const named = {
      ...attrs,
      offsets: segments.map((s) => s.offset),
    } as unknown as tf.NamedAttrMap;
    const params = tf.engine().runKernel(ADAM_UPDATE_FLAT, inputs, named) as tf.Tensor[];
    return { params, m, v };
  }
  return composed(segments, m, v, attrs);
}

/** The same step as tf ops on slices of the moments, joined again. */
function composed(
  segments: readonly AdamSegment[],
  m: tf.Tensor1D,
  v: tf.Tensor1D,
  { beta1, beta2, epsilon, correction2, stepSize }: AdamUpdateAttrs,
): AdamFlatResult {
  return tf.tidy(() => {
    const params: tf.Tensor[] = [];
    const mParts: tf.Tensor1D[] = [];
    const vParts: tf.Tensor1D[] = [];
    let at = 0;
    const gap = (to: number) => {
      if (to > at) {
        mParts.push(tf.slice(m, [at], [to - at]));
        vParts.push(tf.slice(v, [at], [to - at]));
      }
    };
    for (const { param, grad, offset } of segments) {
      gap(offset);
      const mi = tf.reshape(tf.slice(m, [offset], [param.size]), param.shape);
      const vi = tf.reshape(tf.slice(v, [offset], [param.size]), param.shape);
      const m1 = tf.add(tf.mul(mi, beta1), tf.mul(grad, 1 - beta1));
      const v1 = tf.add(tf.mul(vi, beta2), tf.mul(tf.square(grad), 1 - beta2));
      const denominator = tf.add(tf.sqrt(tf.div(v1, correction2)), epsilon);
      params.push(tf.sub(param, tf.mul(tf.div(m1, denominator), stepSize)));
      mParts.push(tf.reshape(m1, [-1]));
      vParts.push(tf.reshape(v1, [-1]));
      at = offset + param.size;
    }
    gap(m.size);
    const join = (parts: tf.Tensor1D[]) => parts.length === 1 ? parts[0] : tf.concat(parts);
    return { params, m: join(mParts), v: join(vParts) };
  });
}
