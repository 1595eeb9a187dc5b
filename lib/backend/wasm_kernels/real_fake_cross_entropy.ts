/**
 * `EdeganRealFakeCrossEntropy` and its gradient: the discriminator's loss (the op:
 * `lib/ops/real_fake_cross_entropy.ts`) in one kernel call each way, where tfjs's
 * `sigmoidCrossEntropy` twice, their sum and half and the gradient of it all took 72 kernel calls a
 * step. The same float32 operations in the same order as those kernels: every add, subtract,
 * multiply and divide rounded to float32 (`Math.fround` of the double result of two float32
 * values is the float32 operation's result), the sums left to right as the wasm `Sum` kernel adds,
 * the gradient's three terms of each logit added in the order tfjs's backprop adds them (abs,
 * then x·label, then relu), and `exp` and `log1p` computed by the stock wasm kernels themselves
 * (their float32 results are not JavaScript's). Tests compare both ways bit for bit.
 *
 * Per logit x with label l (1 real, 0 generated): max(x, 0) - x·l + log1p(exp(-|x|)).
 *
 * @module
 */

import type * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type Info, release, unary } from "./_ops.ts";
import { REAL_FAKE_CROSS_ENTROPY, REAL_FAKE_CROSS_ENTROPY_GRAD } from "../../ops/kernel_names.ts";

const f32 = Math.fround;

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm };

function logits(inputs: tf.NamedTensorInfoMap, name: string, kernel: string): Info {
  const x = inputs[name] as Info | undefined;
  if (x === undefined || x.dtype !== "float32") {
    throw new Error(`${kernel}: expected float32 input '${name}'`);
  }
  return x;
}

/** exp(-|x|) by the stock `Exp` kernel, and `log1p` of it by the stock `Log1p` when asked. */
function softTerms(backend: BackendWasm, x: Info, withLog1p: boolean): [Info, Info?] {
  const negAbs = backend.makeOutput(x.shape, "float32");
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const out = backend.typedArrayFromHeap(negAbs) as Float32Array;
  for (let i = 0; i < xs.length; i++) out[i] = -Math.abs(xs[i]);
  const e = unary(backend, "Exp", negAbs);
  release(backend, negAbs);
  return [e, withLog1p ? unary(backend, "Log1p", e) : undefined];
}

/** The mean cross-entropy of logits x against `label`, rounded as the kernels it replaces. */
function meanCrossEntropy(backend: BackendWasm, x: Info, label: number): number {
  const [e, l] = softTerms(backend, x, true);
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const soft = backend.typedArrayFromHeap(l!) as Float32Array;
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    sum = f32(sum + f32(f32((v > 0 ? v : 0) - f32(v * label)) + soft[i]));
  }
  release(backend, e, l!);
  return f32(sum / xs.length);
}

/**
 * The forward kernel: the loss as a float32 scalar.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { assertAlmostEquals } from "@std/assert";
 * import { registerKernels } from "../kernels.ts";
 * await tf.setBackend("wasm");
 * registerKernels("wasm");
 * const loss = tf.engine().runKernel("EdeganRealFakeCrossEntropy",
 *   { real: tf.tensor1d([0]), fake: tf.tensor1d([0]) }, {}) as tf.Tensor;
 * assertAlmostEquals(loss.dataSync()[0], Math.log(2), 1e-6);
 * ```
 */
export function realFakeCrossEntropy({ inputs, backend }: Args): Info {
  const real = logits(inputs, "real", REAL_FAKE_CROSS_ENTROPY);
  const fake = logits(inputs, "fake", REAL_FAKE_CROSS_ENTROPY);
  const loss = f32(
    f32(meanCrossEntropy(backend, real, 1) + meanCrossEntropy(backend, fake, 0)) * 0.5,
  );
  const out = backend.makeOutput([], "float32");
  (backend.typedArrayFromHeap(out) as Float32Array)[0] = loss;
  return out;
}

/** d loss / d x for one side, given the gradient g of its mean. */
function logitGradient(backend: BackendWasm, x: Info, label: number, g: number): Info {
  const [e] = softTerms(backend, x, false);
  const dx = backend.makeOutput(x.shape, "float32");
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const ex = backend.typedArrayFromHeap(e) as Float32Array;
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  // The mean's gradient, spread over the sum: g / n for every element.
  const each = f32(g / xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    // log1p(exp(-|x|)): div(dy, exp + 1), times exp, negated, times step(x, -1).
    const dSoft = -f32(f32(each / f32(ex[i] + 1)) * ex[i]);
    const dAbs = f32(dSoft * (v > 0 ? 1 : v <= 0 ? -1 : v));
    const dLabel = f32(-each * label);
    const dRelu = f32(each * (v > 0 ? 1 : v <= 0 ? 0 : v));
    out[i] = f32(f32(dAbs + dLabel) + dRelu);
  }
  release(backend, e);
  return dx;
}

/**
 * The gradient kernel: [dReal, dFake] given dy, the loss's gradient.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { assertAlmostEquals } from "@std/assert";
 * import { registerKernels } from "../kernels.ts";
 * await tf.setBackend("wasm");
 * registerKernels("wasm");
 * const [dReal, dFake] = tf.engine().runKernel("EdeganRealFakeCrossEntropyGrad",
 *   { real: tf.tensor1d([0]), fake: tf.tensor1d([0]), dy: tf.scalar(1) }, {}) as tf.Tensor[];
 * // d/dx of 0.5·softplus(∓x) at 0: ∓0.25.
 * assertAlmostEquals(dReal.dataSync()[0], -0.25, 1e-7);
 * assertAlmostEquals(dFake.dataSync()[0], 0.25, 1e-7);
 * ```
 */
export function realFakeCrossEntropyGrad({ inputs, backend }: Args): Info[] {
  const real = logits(inputs, "real", REAL_FAKE_CROSS_ENTROPY_GRAD);
  const fake = logits(inputs, "fake", REAL_FAKE_CROSS_ENTROPY_GRAD);
  const dy = logits(inputs, "dy", REAL_FAKE_CROSS_ENTROPY_GRAD);
  const g = f32((backend.typedArrayFromHeap(dy) as Float32Array)[0] * 0.5);
  return [logitGradient(backend, real, 1, g), logitGradient(backend, fake, 0, g)];
}

/**
 * The kernel configs registered on the wasm backend (`../kernels.ts`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { realFakeCrossEntropyConfigs } from "./real_fake_cross_entropy.ts";
 * assertEquals(realFakeCrossEntropyConfigs.length, 2);
 * ```
 */
export const realFakeCrossEntropyConfigs: tf.KernelConfig[] = [
  {
    kernelName: REAL_FAKE_CROSS_ENTROPY,
    backendName: "wasm",
    kernelFunc: realFakeCrossEntropy as unknown as tf.KernelFunc,
  },
  {
    kernelName: REAL_FAKE_CROSS_ENTROPY_GRAD,
    backendName: "wasm",
    kernelFunc: realFakeCrossEntropyGrad as unknown as tf.KernelFunc,
  },
];
