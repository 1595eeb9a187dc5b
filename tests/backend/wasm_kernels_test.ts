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
import {
  type Conv2DMethod,
  conv2DMethod,
  REUSED_FILTER_CALLS,
} from "../../lib/backend/wasm_kernels/conv2d.ts";
import { stockKernel } from "../../lib/backend/wasm_kernels/_ops.ts";
import { convGeometry, gemmLimits } from "../../lib/backend/wasm_kernels/_geometry.ts";
import { ADAM_UPDATE, hasKernel } from "../../lib/ops/kernel_names.ts";
import { simdModuleBytes } from "../../lib/backend/wasm_kernels/_simd.ts";

import { type Case, compute, input, OUTPUTS, type Pad, relativeError } from "./_conv.ts";

void wasm; // registers the 'wasm' backend

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
  // one input channel (the SIMD "one-channel" input gradient: kernel width and output channels
  // multiples of 4): pairs of dy positions and an odd last one, edge columns, kernel 8, stride 3,
  // explicit padding, odd sizes; then Co % 4 != 0 and kernel width 2, which go elsewhere
  [1, 32, 32, 1, 8, 4, 2, "same"],
  [3, 7, 9, 1, 12, 4, 2, "same"],
  [1, 11, 16, 1, 4, 4, 3, "valid"],
  [2, 12, 13, 1, 8, 8, 2, [[0, 0], [3, 2], [1, 4], [0, 0]]],
  [3, 9, 7, 1, 6, 4, 2, "same"],
  [2, 7, 7, 1, 5, 2, 1, "valid"],
  // few dy positions (SIMD "row-dots" and "short-gemm"): covering the input, and not
  [1, 4, 4, 8, 12, 4, 1, "valid"],
  [2, 4, 4, 8, 12, 4, 1, "valid"],
  [2, 3, 3, 4, 8, 2, 2, "valid"],
  [1, 3, 3, 2, 4, 3, 2, "same"],
  // the SIMD product of small batches: output channels not a multiple of 4 (scalar columns),
  // one output channel, a kernel covering the input at batch > 1, 1x1 kernels, odd sizes
  [1, 5, 5, 3, 7, 3, 1, "same"],
  [4, 7, 9, 5, 6, 4, 2, "same"],
  [2, 6, 6, 8, 1, 4, 1, "valid"],
  [3, 4, 4, 12, 8, 4, 1, "valid"],
  [2, 5, 5, 6, 10, 1, 1, "valid"],
  [8, 16, 16, 8, 16, 4, 2, "same"],
  [1, 33, 31, 2, 9, 3, 2, "valid"],
  [5, 6, 6, 4, 12, 3, 1, "same"],
  [1, 8, 8, 32, 64, 4, 2, "same"],
];

/** The SIMD-product limits as the library sets them, and all 0: every case runs both ways. */
const LIMITS: (typeof gemmLimits)[] = [
  { ...gemmLimits },
  { convPositions: 0, convColumns: 0, inputGradientPositions: 0, filterGradientTerms: 0 },
];

/** Runs `f` with other SIMD-product limits, then puts the library's back. */
async function withLimits<T>(limits: typeof gemmLimits, f: () => Promise<T> | T): Promise<T> {
  const saved = { ...gemmLimits };
  Object.assign(gemmLimits, limits);
  try {
    return await f();
  } finally {
    Object.assign(gemmLimits, saved);
  }
}

async function useWasm(): Promise<void> {
  assert(await tf.setBackend("wasm"), "wasm backend did not start");
  registerWasmTrainingKernels();
}

Deno.test("wasm conv2d / conv2dTranspose values and gradients equal cpu within 1e-4", async () => {
  const convMethods = new Set<Conv2DMethod>();
  const inputMethods = new Set<BackpropInputMethod>();
  const filterMethods = new Set<BackpropFilterMethod>();
  for (const c of CASES) {
    await tf.setBackend("cpu");
    const expected = compute(c);
    for (const limits of LIMITS) {
      await withLimits(limits, async () => {
        await useWasm();
        const actual = compute(c);
        for (let i = 0; i < OUTPUTS.length; i++) {
          const error = relativeError(actual[i], expected[i]);
          assert(
            error <= 1e-4,
            `${OUTPUTS[i]} of case ${JSON.stringify(c)}, limits ${JSON.stringify(limits)}: ` +
              `relative error ${error}`,
          );
        }
        const [n, h, w, ci, co, k, s, pad] = c;
        const g = convGeometry([n, h, w, ci], [k, k, ci, co], { strides: s, pad });
        convMethods.add(conv2DMethod(g));
        inputMethods.add(backpropInputMethod(g));
        filterMethods.add(backpropFilterMethod(g));
      });
    }
  }
  assertEquals([...convMethods].sort(), ["gemm", "xnnpack"]);
  assertEquals([...inputMethods].sort(), ["gemm", "gemm-dyT", "one-channel", "phases", "row-dots"]);
  assertEquals([...filterMethods].sort(), ["dilated-conv", "gemm", "short-gemm"]);
});

Deno.test("the SIMD product serves the teacher's layers at small batches, XNNPACK at large", () => {
  const method = (batch: number, size: number, ci: number, co: number, s: number, pad: Pad) => {
    const g = convGeometry([batch, size, size, ci], [4, 4, ci, co], { strides: s, pad });
    return [conv2DMethod(g), backpropInputMethod(g), backpropFilterMethod(g)].join();
  };
  for (const batch of [1, 2]) {
    assertEquals(method(batch, 16, 64, 128, 2, "same"), "gemm,gemm-dyT,gemm"); // enc2
    assertEquals(method(batch, 8, 128, 256, 2, "same"), "gemm,gemm-dyT,gemm"); // enc3
  }
  assertEquals(method(1, 4, 256, 100, 1, "valid"), "gemm,row-dots,short-gemm"); // enc4
  assertEquals(method(8, 16, 64, 128, 2, "same"), "gemm,gemm-dyT,dilated-conv");
  assertEquals(method(8, 8, 128, 256, 2, "same"), "gemm,gemm-dyT,gemm");
  assertEquals(method(64, 32, 1, 64, 2, "same"), "gemm,one-channel,gemm"); // enc1
  assertEquals(method(64, 16, 64, 128, 2, "same"), "xnnpack,phases,dilated-conv");
  assertEquals(method(64, 4, 256, 100, 1, "valid"), "gemm,gemm-dyT,gemm");
});

Deno.test("wasm conv2d with dilations (stock kernel) equals cpu", async () => {
  const run = () =>
    tf.tidy(() => {
      const x = input([2, 9, 9, 3], 31);
      const f = input([3, 3, 3, 4], 32);
      return tf.conv2d(x, f, 1, "same", "NHWC", 2).dataSync() as Float32Array;
    });
  await tf.setBackend("cpu");
  const expected = run();
  await useWasm();
  assert(relativeError(run(), expected) <= 1e-4);
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
  const conv = tf.getKernel("Conv2D", "wasm")!.kernelFunc;
  registerWasmTrainingKernels();
  assert(tf.getKernel("Conv2DBackpropInput", "wasm")!.kernelFunc === first);
  assert(tf.getKernel("Conv2D", "wasm")!.kernelFunc === conv);
  assert(stockKernel("Conv2D") !== undefined && stockKernel("Conv2D") !== conv);
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
  for (const limits of LIMITS) await withLimits(limits, trainWithoutLeaks);
});

async function trainWithoutLeaks(): Promise<void> {
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
}

Deno.test("wasm Tile equals cpu for every dtype, rank and repetition", async () => {
  const cases: [number[], number[], "float32" | "int32" | "bool"][] = [
    [[1, 1, 1, 5], [2, 3, 4, 1], "float32"],
    [[2, 3], [3, 2], "int32"],
    [[3], [4], "bool"],
    [[2, 1, 3], [1, 4, 2], "float32"],
    [[], [], "float32"],
    [[2, 0], [2, 2], "float32"],
    [[1, 2, 1, 2, 3], [2, 1, 3, 2, 1], "float32"],
  ];
  for (const [shape, reps, dtype] of cases) {
    const size = shape.reduce((a, b) => a * b, 1);
    const run = () =>
      tf.tidy(() => {
        const v = Array.from({ length: size }, (_, i) => dtype === "bool" ? i % 2 : i + 1);
        return Array.from(tf.tile(tf.tensor(v, shape, dtype), reps).dataSync());
      });
    await tf.setBackend("cpu");
    const expected = run();
    await useWasm();
    assertEquals(run(), expected, `tile ${shape} by ${reps} (${dtype})`);
  }
});

Deno.test("wasm Sqrt equals cpu (SIMD body and scalar tail)", async () => {
  for (const size of [0, 1, 3, 4, 7, 1031]) {
    const run = () =>
      tf.tidy(() => Array.from(tf.sqrt(tf.abs(input([size], size + 40))).dataSync()));
    await tf.setBackend("cpu");
    const expected = run();
    await useWasm();
    const actual = run();
    for (let i = 0; i < size; i++) assert(Math.abs(actual[i] - expected[i]) <= 1e-6 * expected[i]);
  }
});

Deno.test("wasm conv2d with a filter used many times (inference) still equals cpu", async () => {
  const run = () =>
    tf.tidy(() => {
      const f = input([4, 4, 8, 12], 51);
      const out: Float32Array[] = [];
      for (let i = 0; i < REUSED_FILTER_CALLS + 3; i++) {
        out.push(tf.conv2d(input([1, 8, 8, 8], 52 + i), f, 2, "same").dataSync() as Float32Array);
      }
      return out;
    });
  await tf.setBackend("cpu");
  const expected = run();
  await useWasm();
  const actual = run();
  for (let i = 0; i < expected.length; i++) {
    assert(relativeError(actual[i], expected[i]) <= 1e-4, `call ${i}`);
  }
});

Deno.test("wasm Identity shares data and frees it with the last reference", async () => {
  await useWasm();
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const buffers = backend.numDataIds();
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  assertEquals(backend.numDataIds(), buffers + 1);
  x.dispose();
  assertEquals(Array.from(y.dataSync()), [1, 2, 3]);
  y.dispose();
  assertEquals(backend.numDataIds(), buffers);
});

Deno.test("the fused Adam kernel equals Adam's ops exactly, and cpu's within 1e-6", async () => {
  const attrs = { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, correction2: 1 - 0.999 ** 3 };
  const stepSize = 2e-4 / (1 - 0.5 ** 3);
  const asOps = (p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor) => {
    // lib/train/adam.ts, op for op
    const m2 = tf.add(tf.mul(m, attrs.beta1), tf.mul(g, 1 - attrs.beta1));
    const v2 = tf.add(tf.mul(v, attrs.beta2), tf.mul(tf.square(g), 1 - attrs.beta2));
    const denominator = tf.add(tf.sqrt(tf.div(v2, attrs.correction2)), attrs.epsilon);
    return [tf.sub(p, tf.mul(tf.div(m2, denominator), stepSize)), m2, v2];
  };
  for (const size of [0, 1, 7, 1031]) {
    const run = (fused: boolean) =>
      tf.tidy(() => {
        const [p, g] = [input([size], 61), tf.mul(input([size], 62), 1e-3)];
        const [m, v] = [tf.mul(input([size], 63), 1e-3), tf.abs(tf.mul(input([size], 64), 1e-6))];
        const out = fused
          ? tf.engine().runKernel(ADAM_UPDATE, { variable: p, grad: g, m, v }, {
            ...attrs,
            stepSize,
          }) as tf.Tensor[]
          : asOps(p, g, m, v);
        return out.map((t) => Array.from(t.dataSync()));
      });
    await tf.setBackend("cpu");
    assert(!hasKernel(ADAM_UPDATE));
    const expected = run(false);
    await useWasm();
    assert(hasKernel(ADAM_UPDATE));
    const tensors = tf.memory().numTensors;
    const fused = run(true);
    assertEquals(tf.memory().numTensors, tensors);
    assertEquals(fused, run(false), `size ${size}: fused differs from the ops on wasm`);
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < size; i++) {
        const scale = Math.max(1e-30, Math.abs(expected[k][i]));
        assert(Math.abs(fused[k][i] - expected[k][i]) / scale <= 1e-6, `size ${size} out ${k}`);
      }
    }
  }
});

Deno.test("the SIMD module is valid wasm in all four builds and exports one function per loop", () => {
  for (const shared of [false, true]) {
    for (const fused of [false, true]) {
      const bytes = simdModuleBytes(shared, fused);
      assert(WebAssembly.validate(bytes), `shared ${shared}, fused ${fused}`);
      const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
      assertEquals(exports, [
        "rowDots",
        "smallGemm",
        "oneChannel",
        "gemm",
        "sqrt",
        "adam",
        "tanh",
        "leakyRelu",
        "channelAffine",
        "oneChannelNarrow",
        "oneChannelConv",
      ]);
    }
  }
  // The fused build writes one relaxed_madd where the other multiplies, then adds.
  assert(simdModuleBytes(false, true).length < simdModuleBytes(false, false).length);
});
