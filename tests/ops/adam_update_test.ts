/**
 * The flat Adam op: its one-kernel path (wasm) equals, bit for bit, Adam written as tf ops on the
 * same backend, segment by segment, leaves the moments outside every segment as they were, and
 * its composed path (cpu) agrees within float32 rounding.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { adamUpdateFlat } from "../../lib/ops/adam_update.ts";
import { ADAM_UPDATE_FLAT, hasKernel } from "../../lib/ops/kernel_names.ts";
import { maxAbsDiff, useBackend } from "../_helpers.ts";

const ATTRS = {
  beta1: 0.5,
  beta2: 0.999,
  epsilon: 1e-8,
  correction2: 1 - 0.999 ** 3,
  stepSize: 2e-4 / (1 - 0.5 ** 3),
};
const SHAPES = [[4, 4, 3, 5], [7], [1], [33, 3]];
// Offsets with a gap before the second and after the last segment (moments left untouched).
const OFFSETS = [0, 245, 252, 253];
const TOTAL = 253 + 99 + 5;

const values = (n: number, k: number, scale = 1) =>
  Float32Array.from({ length: n }, (_, i) => scale * Math.sin(i * k + 0.3));

/** Adam as tf ops, one weight at a time (lib/train/adam.ts before its moments were flat). */
function asOps(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor): tf.Tensor[] {
  const m2 = tf.add(tf.mul(m, ATTRS.beta1), tf.mul(g, 1 - ATTRS.beta1));
  const v2 = tf.add(tf.mul(v, ATTRS.beta2), tf.mul(tf.square(g), 1 - ATTRS.beta2));
  const denominator = tf.add(tf.sqrt(tf.div(v2, ATTRS.correction2)), ATTRS.epsilon);
  return [tf.sub(p, tf.mul(tf.div(m2, denominator), ATTRS.stepSize)), m2, v2];
}

/** [p'_0, p'_1, ..., m', v'] as arrays, by the op (`flat`) or by tf ops per weight. */
function run(flat: boolean): number[][] {
  return tf.tidy(() => {
    const params = SHAPES.map((s, i) => tf.tensor(values(tf.util.sizeFromShape(s), 0.37 + i), s));
    const grads = SHAPES.map((s, i) =>
      tf.tensor(values(tf.util.sizeFromShape(s), 1.1 + i, 1e-3), s)
    );
    const mData = values(TOTAL, 0.7, 1e-3);
    const vData = values(TOTAL, 0.9, 1e-6).map(Math.abs);
    if (flat) {
      const m = tf.tensor1d(mData);
      const v = tf.tensor1d(vData);
      const segments = params.map((param, i) => ({ param, grad: grads[i], offset: OFFSETS[i] }));
      const out = adamUpdateFlat(segments, m, v, ATTRS);
      return [...out.params, out.m, out.v].map((t) => Array.from(t.dataSync()));
    }
    const m = mData.slice();
    const v = vData.slice();
    const updated = params.map((p, i) => {
      const at = OFFSETS[i], size = p.size;
      const [p2, m2, v2] = asOps(
        p,
        grads[i],
        tf.tensor(m.slice(at, at + size), p.shape),
        tf.tensor(v.slice(at, at + size), p.shape),
      );
      m.set(m2.dataSync(), at);
      v.set(v2.dataSync(), at);
      return Array.from(p2.dataSync());
    });
    return [...updated, Array.from(m), Array.from(v)];
  });
}

Deno.test("adamUpdateFlat: one wasm kernel equals Adam's ops on wasm bit for bit", async () => {
  await useBackend("wasm");
  assert(hasKernel(ADAM_UPDATE_FLAT));
  const expected = run(false);
  const before = tf.memory().numTensors;
  const actual = run(true);
  assertEquals(tf.memory().numTensors, before, "tensors leaked");
  assertEquals(actual, expected);
  // The gaps kept their moments; the segments' moved.
  const m0 = Array.from(values(TOTAL, 0.7, 1e-3));
  const m1 = actual.at(-2)!;
  assertEquals([...m1.slice(240, 245), ...m1.slice(352)], [
    ...m0.slice(240, 245),
    ...m0.slice(352),
  ]);
  assert(m1[1] !== m0[1] && m1[246] !== m0[246] && m1[350] !== m0[350]);
  await useBackend("cpu");
  assert(!hasKernel(ADAM_UPDATE_FLAT));
  const composed = run(true);
  const reference = run(false);
  composed.forEach((c, i) => {
    assert(maxAbsDiff(Float32Array.from(c), Float32Array.from(reference[i])) === 0, `cpu ${i}`);
    assert(maxAbsDiff(Float32Array.from(c), Float32Array.from(actual[i])) < 1e-7, `wasm ${i}`);
  });
});

Deno.test("adamUpdateFlat: segments that overlap or overrun the moments are refused", async () => {
  await useBackend("cpu");
  tf.tidy(() => {
    const seg = (offset: number) => ({ param: tf.ones([4]), grad: tf.ones([4]), offset });
    const [m, v] = [tf.zeros([6]), tf.zeros([6])] as tf.Tensor1D[];
    assertThrows(() => adamUpdateFlat([seg(0), seg(2)], m, v, ATTRS), Error, "does not fit");
    assertThrows(() => adamUpdateFlat([seg(3)], m, v, ATTRS), Error, "does not fit");
  });
});
