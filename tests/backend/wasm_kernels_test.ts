import { assert, assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { registerWasmTrainingKernels } from "../../lib/backend/wasm_kernels/register.ts";
import {
  type BackpropInputMethod,
  backpropInputMethod,
} from "../../lib/backend/wasm_kernels/conv2d_backprop_input.ts";
import {
  type BackpropFilterMethod,
  backpropFilterMethod,
} from "../../lib/backend/wasm_kernels/conv2d_backprop_filter.ts";
import { convGeometry } from "../../lib/backend/wasm_kernels/_geometry.ts";

void wasm; // registers the 'wasm' backend

type Pad = "same" | "valid" | number | [[0, 0], [number, number], [number, number], [0, 0]];
/** batch, height, width, inChannels, outChannels, kernel, stride, padding. */
type Case = [number, number, number, number, number, number, number, Pad];

// Together these reach every method of both kernels (checked below), batch 1 and >= 16,
// strides 1, 2, 3, kernels 2..5, same / valid / explicit padding, odd sizes.
const CASES: Case[] = [
  [1, 9, 9, 3, 5, 3, 1, "same"],
  [1, 8, 8, 16, 8, 4, 2, "same"],
  [16, 9, 7, 4, 6, 4, 2, "same"],
  [16, 8, 8, 16, 12, 4, 2, "same"],
  [16, 11, 11, 16, 8, 3, 2, "valid"],
  [2, 10, 10, 20, 6, 3, 1, "valid"],
  [17, 7, 7, 3, 4, 3, 2, "valid"],
  [1, 4, 4, 32, 10, 4, 1, "valid"],
  [16, 4, 4, 24, 10, 4, 1, "valid"],
  [3, 13, 12, 18, 7, 5, 3, "same"],
  [2, 9, 9, 16, 4, 3, 2, [[0, 0], [2, 1], [0, 3], [0, 0]]],
  [2, 6, 6, 16, 4, 3, 2, 4],
  [2, 10, 10, 16, 4, 2, 3, "valid"],
  [16, 16, 16, 16, 32, 4, 2, "same"],
  // one input channel (the SIMD "one-channel" input gradient), 16 and 4 taps, odd sizes
  [1, 32, 32, 1, 8, 4, 2, "same"],
  [3, 9, 7, 1, 6, 4, 2, "same"],
  [2, 7, 7, 1, 5, 2, 1, "valid"],
  // few dy positions (SIMD "row-dots" and "short-gemm"): covering the input, and not
  [1, 4, 4, 8, 12, 4, 1, "valid"],
  [2, 4, 4, 8, 12, 4, 1, "valid"],
  [2, 3, 3, 4, 8, 2, 2, "valid"],
  [1, 3, 3, 2, 4, 3, 2, "same"],
];

/** Deterministic values in [-1, 1) (a small LCG, so both backends see identical inputs). */
function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2147483648 - 1;
  }
  return out;
}

function input(shape: number[], seed: number): tf.Tensor4D {
  return tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed), shape) as unknown as tf.Tensor4D;
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  assertEquals(actual.length, expected.length);
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
  }
  return scale === 0 ? error : error / scale;
}

const OUTPUTS = ["conv2d", "conv2d dx", "conv2d dW", "convT", "convT dx", "convT dW"];

/** conv2d and conv2dTranspose values and gradients for one case on the current backend. */
function compute([n, h, w, ci, co, k, s, pad]: Case): Float32Array[] {
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

async function useWasm(): Promise<void> {
  assert(await tf.setBackend("wasm"), "wasm backend did not start");
  registerWasmTrainingKernels();
}

Deno.test("wasm conv2d / conv2dTranspose values and gradients equal cpu within 1e-4", async () => {
  const inputMethods = new Set<BackpropInputMethod>();
  const filterMethods = new Set<BackpropFilterMethod>();
  for (const c of CASES) {
    await tf.setBackend("cpu");
    const expected = compute(c);
    await useWasm();
    const actual = compute(c);
    for (let i = 0; i < OUTPUTS.length; i++) {
      const error = relativeError(actual[i], expected[i]);
      assert(error <= 1e-4, `${OUTPUTS[i]} of case ${JSON.stringify(c)}: relative error ${error}`);
    }
    const [n, h, w, ci, co, k, s, pad] = c;
    const g = convGeometry([n, h, w, ci], [k, k, ci, co], { strides: s, pad });
    inputMethods.add(backpropInputMethod(g));
    filterMethods.add(backpropFilterMethod(g));
  }
  assertEquals([...inputMethods].sort(), ["gemm", "gemm-dyT", "one-channel", "phases", "row-dots"]);
  assertEquals([...filterMethods].sort(), ["dilated-conv", "gemm", "short-gemm"]);
});

Deno.test("wasm backprop kernels handle NCHW like cpu", async () => {
  const run = () =>
    tf.tidy(() => {
      const x = input([3, 5, 9, 8], 6); // NCHW
      const dy = input([3, 4, 5, 4], 7); // k3 s2 same on 9x8 -> 5x4
      const f = input([3, 3, 5, 4], 8);
      const attrs = { strides: 2, pad: "same", dataFormat: "NCHW" };
      const dW = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        ...attrs,
        filterShape: [3, 3, 5, 4],
      }) as tf.Tensor;
      const dx = tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: f }, {
        ...attrs,
        inputShape: [3, 5, 9, 8],
      }) as tf.Tensor;
      return [dW, dx].map((v) => v.dataSync() as Float32Array);
    });
  await tf.setBackend("cpu");
  const expected = run();
  await useWasm();
  const actual = run();
  for (let i = 0; i < 2; i++) assert(relativeError(actual[i], expected[i]) <= 1e-4);
});

Deno.test("registerWasmTrainingKernels is idempotent and keeps the stock kernel as fallback", async () => {
  await useWasm();
  const first = tf.getKernel("Conv2DBackpropInput", "wasm")!.kernelFunc;
  registerWasmTrainingKernels();
  assert(tf.getKernel("Conv2DBackpropInput", "wasm")!.kernelFunc === first);
  assert(tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined);
});

/** A tiny conv GAN: generator z [N,1,1,8] -> [N,8,8,1], discriminator [N,8,8,1] -> logit. */
function makeGan() {
  const variable = (shape: number[], seed: number, name: string) =>
    tf.variable(tf.mul(input(shape, seed), 0.3), true, name) as unknown as tf.Tensor4D;
  const g1 = variable([4, 4, 16, 8], 11, "g1"); // convT 1x1x8 -> 4x4x16, valid
  const g2 = variable([4, 4, 1, 16], 12, "g2"); // convT 4x4x16 -> 8x8x1, s2 same
  const d1 = variable([4, 4, 1, 16], 13, "d1"); // conv 8x8x1 -> 4x4x16, s2 same
  const d2 = variable([4, 4, 16, 1], 14, "d2"); // conv 4x4x16 -> 1x1x1, valid
  const generate = (z: tf.Tensor4D) => {
    const n = z.shape[0];
    const h = tf.relu(tf.conv2dTranspose(z, g1, [n, 4, 4, 16], 1, "valid"));
    return tf.tanh(tf.conv2dTranspose(h, g2, [n, 8, 8, 1], 2, "same"));
  };
  const discriminate = (x: tf.Tensor4D) => {
    const h = tf.leakyRelu(tf.conv2d(x, d1, 2, "same"), 0.2);
    return tf.reshape(tf.conv2d(h, d2, 1, "valid"), [-1, 1]);
  };
  const bce = (logits: tf.Tensor, label: number) =>
    tf.losses.sigmoidCrossEntropy(tf.fill(logits.shape, label), logits);
  const optimizerG = tf.train.adam(0.01, 0.5);
  const optimizerD = tf.train.adam(0.01, 0.5);
  const step = (real: tf.Tensor4D, z: tf.Tensor4D): [number, number] => {
    const lossD = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.add(bce(discriminate(real), 1), bce(discriminate(generate(z)), 0)) as tf.Scalar,
        [d1, d2] as unknown as tf.Variable[],
      );
      optimizerD.applyGradients(grads as never);
      return value.dataSync()[0];
    });
    const lossG = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => bce(discriminate(generate(z)), 1) as tf.Scalar,
        [g1, g2] as unknown as tf.Variable[],
      );
      optimizerG.applyGradients(grads as never);
      return value.dataSync()[0];
    });
    return [lossD, lossG];
  };
  const dispose = () => {
    tf.dispose([g1, g2, d1, d2]);
    optimizerG.dispose();
    optimizerD.dispose();
  };
  return { step, dispose };
}

function train(steps: number): number[] {
  const gan = makeGan();
  const real = tf.tanh(input([16, 8, 8, 1], 21));
  const z = input([16, 1, 1, 8], 22);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(...gan.step(real, z));
  tf.dispose([real, z]);
  gan.dispose();
  return losses;
}

Deno.test("a small conv GAN trains to the same losses on wasm and cpu", async () => {
  await tf.setBackend("cpu");
  const expected = train(6);
  await useWasm();
  const actual = train(6);
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]) / Math.max(1e-3, Math.abs(expected[i]));
    assert(error < 1e-3, `loss ${i}: wasm ${actual[i]} vs cpu ${expected[i]}`);
  }
  // The losses move: the test would notice a no-op gradient.
  assert(Math.abs(expected[expected.length - 2] - expected[0]) > 1e-3);
});

Deno.test("wasm training leaks neither tensors nor wasm buffers", async () => {
  await useWasm();
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const gan = makeGan();
  const real = tf.tanh(input([16, 8, 8, 1], 21));
  const z = input([16, 1, 1, 8], 22);
  gan.step(real, z); // optimizer slots are created on the first step
  const tensors = tf.memory().numTensors;
  const buffers = backend.numDataIds();
  for (let i = 0; i < 25; i++) gan.step(real, z);
  assertEquals(tf.memory().numTensors, tensors);
  assertEquals(backend.numDataIds(), buffers);
  tf.dispose([real, z]);
  gan.dispose();
});
