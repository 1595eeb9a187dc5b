/**
 * Adam: the fused wasm update gives the same weights and moments as Adam's tf ops on cpu, over
 * several steps, and its state round-trips through state()/restore().
 */

import { assert, assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { Adam } from "../../lib/train/adam.ts";
import { ADAM_UPDATE_FLAT, hasKernel } from "../../lib/ops/kernel_names.ts";
import { maxAbsDiff, useBackend } from "../_helpers.ts";

const SETTINGS = { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 };

/** Five steps on fixed weights and gradients; the weights and the state at the end. */
async function steps(backend: "cpu" | "wasm") {
  await useBackend(backend);
  const values = (n: number, k: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * k));
  const w = tf.tidy(() => tf.variable(tf.tensor(values(4 * 4 * 3 * 5, 0.37), [4, 4, 3, 5])));
  const b = tf.tidy(() => tf.variable(tf.tensor(values(7, 1.3), [7])));
  const adam = new Adam(new Map([["w", w], ["b", b]]), SETTINGS);
  for (let s = 0; s < 5; s++) {
    const grads = new Map<string, tf.Tensor>([
      ["w", tf.tensor(values(240, 0.11 + s), [4, 4, 3, 5])],
      ["b", tf.tensor(values(7, 2.1 + s), [7])],
    ]);
    adam.apply(grads);
    tf.dispose([...grads.values()]);
  }
  const out = { w: await w.data(), b: await b.data(), state: await adam.state() };
  adam.dispose();
  tf.dispose([w, b]);
  return out;
}

Deno.test("fused wasm Adam equals Adam's ops on cpu over 5 steps", async () => {
  const cpu = await steps("cpu");
  await steps("wasm"); // Starting the backend may keep tensors of its own: not counted.
  const before = tf.memory().numTensors;
  const wasm = await steps("wasm");
  assert(hasKernel(ADAM_UPDATE_FLAT), "the wasm backend should have the fused Adam kernel");
  assertEquals(tf.memory().numTensors, before, "tensors leaked");
  assert(maxAbsDiff(wasm.w, cpu.w) < 1e-7, `w differs by ${maxAbsDiff(wasm.w, cpu.w)}`);
  assert(maxAbsDiff(wasm.b, cpu.b) < 1e-7, `b differs by ${maxAbsDiff(wasm.b, cpu.b)}`);
  for (const key of ["w", "b"]) {
    const a = wasm.state.moments.get(key)!, c = cpu.state.moments.get(key)!;
    assert(maxAbsDiff(a.m, c.m) < 1e-7 && maxAbsDiff(a.v, c.v) < 1e-9, `moments of ${key}`);
  }
  assertEquals(wasm.state.step, 5);
  // The weights moved: the test compares updates, not untouched values.
  assert(
    maxAbsDiff(wasm.w, Float32Array.from({ length: 240 }, (_, i) => Math.sin(i * 0.37))) > 1e-4,
  );
  await useBackend("cpu");
});
