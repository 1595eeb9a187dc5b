/**
 * Kernels of the wasm backend (and so of `onednn`, which is the wasm backend with oneDNN
 * convolutions) that only scoring calls: inference with no gradient, under names of their own, so
 * that training's kernels and so its float rounding stay exactly as they are. The ops that call
 * them are in `lib/ops/scoring.ts`; `../kernels.ts` registers them on both variants.
 *
 * - `EdeganScoreActivation`: LeakyReLU, ReLU (max(x, α·x), four at a time; the same values as the
 *   stock kernels) or tanh (four at a time by Eigen's rational function, the float tanh of Eigen
 *   and TensorFlow's CPU kernels, within 6 float32 ulps and 4e-7 of tanh, where the stock kernel
 *   is a scalar loop at about 40 ns a value).
 * - `EdeganScoreBatchNormActivation`: inference BatchNorm (per-channel statistics) as one pass
 *   x·a + b with a = scale / √(variance + ε) and b = offset - mean·a folded per channel, then the
 *   activation in place: one kernel call where the stock path makes two (`FusedBatchNorm`, 7-20 ns
 *   a value, then the activation). The result differs from the stock kernel's by float rounding
 *   (about 1e-7 relative).
 * - `EdeganScoreConv2DTranspose`: a transposed convolution to one channel from Co not a multiple of
 *   4 (kernel width 4) takes the SIMD loop `oneChannelNarrow` (one vector of four taps per kernel
 *   row and dy position); every other geometry is the registered `Conv2DBackpropInput` (edegan's
 *   wasm kernel, or oneDNN where it is routed).
 * - `EdeganScoreConv2D`: a 4x4 convolution from one channel to at most four (the encoders'
 *   first layer of a width-2 or width-3 student) takes the SIMD loop `oneChannelConv`
 *   (one vector of the output channels per position); every other geometry is the registered
 *   `Conv2D` (XNNPACK, or oneDNN where it is routed).
 * - `EdeganScoreSequence`: a whole list of such steps (convolutions, transposed convolutions,
 *   BatchNorm + activation, activations, reshapes; {@link ScoreStep}) in one kernel call, each step
 *   calling the registered kernel functions directly and freeing its input as it goes: a model's
 *   whole scoring pass (E1, Dec, E2: about 30 ops) is one dispatch of the engine instead of one per
 *   op, whose bookkeeping costs 15-40 µs an op, most of a small student's call at batch 1. The
 *   values are those of the same ops run one by one.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type Info, release } from "./_ops.ts";
import { address, type SimdKernels, simdKernels } from "./_simd.ts";
import {
  SCORE_ACTIVATION,
  SCORE_BATCH_NORM_ACTIVATION,
  SCORE_CONV2D,
  SCORE_CONV2D_TRANSPOSE,
  SCORE_SEQUENCE,
} from "../../ops/kernel_names.ts";
import type { Conv2DBackpropInputAttrs } from "./conv2d_backprop_input.ts";
import { convGeometry } from "./_geometry.ts";

/** The activations of the scoring kernels (`none`: only BatchNorm). */
export type ScoreActivation = "leakyRelu" | "relu" | "tanh" | "none";

/**
 * One step of a scoring sequence, applied to the current NHWC value (the input `x` at first);
 * weights are named by the kernel's input names. `reshape` gives the shape after the batch axis;
 * `output` returns the current value (in order) and goes on from it.
 */
export type ScoreStep =
  | { op: "conv"; filter: string; stride: number; pad: "same" | "valid" }
  | {
    op: "convTranspose";
    filter: string;
    stride: number;
    pad: "same" | "valid";
    outSize: number;
    outChannels: number;
  }
  | {
    op: "batchNormActivation";
    mean: string;
    variance: string;
    offset: string;
    scale: string;
    epsilon: number;
    activation: ScoreActivation;
    alpha: number;
  }
  | { op: "activation"; activation: ScoreActivation; alpha: number }
  | { op: "reshape"; shape: number[] }
  | { op: "output" };

type Args<A = tf.NamedAttrMap> = {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: A;
};

/** The SIMD loops, which every scoring kernel needs (Deno and browsers have WebAssembly SIMD). */
function simd(backend: BackendWasm, kernel: string): SimdKernels {
  const loops = simdKernels(backend);
  if (loops === undefined) throw new Error(`${kernel}: this engine has no WebAssembly SIMD`);
  return loops;
}

const bits = (value: number): number => {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  return view.getInt32(0);
};

/** `activation` of n floats at `from` into `to` (may be `from`; LeakyReLU's α in [0, 1]). */
function activate(
  backend: BackendWasm,
  from: number,
  to: number,
  n: number,
  activation: ScoreActivation,
  alpha: number,
): void {
  const loops = simd(backend, SCORE_ACTIVATION);
  if (n === 0 || (activation === "none" && from === to)) return;
  if (activation === "none") loops.leakyRelu(from, to, n, bits(1));
  else if (activation === "tanh") loops.tanh(from, to, n);
  else loops.leakyRelu(from, to, n, bits(activation === "relu" ? 0 : alpha));
}

function checkFloat(kernel: string, ...infos: (Info | undefined)[]): void {
  for (const info of infos) {
    if (info !== undefined && info.dtype !== "float32") {
      throw new Error(`${kernel}: expected float32 tensors, got ${info.dtype}`);
    }
  }
}

function checkActivation(kernel: string, activation: unknown, alpha: number): void {
  if (!["leakyRelu", "relu", "tanh", "none"].includes(activation as string)) {
    throw new Error(
      `${kernel}: activation expected leakyRelu, relu, tanh or none, got '${activation}'`,
    );
  }
  if (activation === "leakyRelu" && !(alpha >= 0 && alpha <= 1)) {
    throw new Error(`${kernel}: LeakyReLU's alpha must lie in [0, 1], got ${alpha}`);
  }
}

/** The least common multiple of `channels` and 4. */
function lcm4(channels: number): number {
  return channels % 4 === 0 ? channels : channels % 2 === 0 ? channels * 2 : channels * 4;
}

/** `EdeganScoreActivation`: input `x`; attributes `activation`, `alpha` (LeakyReLU's slope). */
function scoreActivation(args: Args): Info {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: Info };
  const activation = attrs.activation as ScoreActivation;
  const alpha = (attrs.alpha as number | undefined) ?? 0;
  checkFloat(SCORE_ACTIVATION, x);
  checkActivation(SCORE_ACTIVATION, activation, alpha);
  const out = backend.makeOutput(x.shape, "float32");
  const size = tf.util.sizeFromShape(x.shape);
  if (size > 0) {
    activate(backend, address(backend, x), address(backend, out), size, activation, alpha);
  }
  return out;
}

/**
 * `EdeganScoreBatchNormActivation`: inputs `x` [..., C], `mean`, `variance`, `offset`, `scale`
 * (each [C]); attributes `varianceEpsilon`, `activation`, `alpha`.
 */
function scoreBatchNormActivation(args: Args): Info {
  const { inputs, backend, attrs } = args;
  const { x, mean, variance, offset, scale } = inputs as Record<string, Info>;
  const kernel = SCORE_BATCH_NORM_ACTIVATION;
  checkFloat(kernel, x, mean, variance, offset, scale);
  const activation = attrs.activation as ScoreActivation;
  const alpha = (attrs.alpha as number | undefined) ?? 0;
  checkActivation(kernel, activation, alpha);
  const channels = x.shape[x.shape.length - 1] ?? 1;
  for (const [name, t] of Object.entries({ mean, variance, offset, scale })) {
    if (tf.util.sizeFromShape(t.shape) !== channels) {
      throw new Error(`${kernel}: ${name} has shape [${t.shape}], expected [${channels}]`);
    }
  }
  const epsilon = attrs.varianceEpsilon as number;
  const size = tf.util.sizeFromShape(x.shape);
  // Fewer than 4 channels (or a count not a multiple of 4) would leave `channelAffine` on its
  // scalar tail: where the values allow, a row of lcm(C, 4) values (a and b repeated) keeps it on
  // vectors, with the same product and sum per value.
  const period = channels % 4 === 0 || size % lcm4(channels) !== 0 ? channels : lcm4(channels);
  const a = backend.makeOutput([period], "float32");
  const b = backend.makeOutput([period], "float32");
  const read = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array;
  const [m, v, o, s, aHeap, bHeap] = [mean, variance, offset, scale, a, b].map(read);
  for (let c = 0; c < channels; c++) {
    aHeap[c] = s[c] / Math.sqrt(v[c] + epsilon);
    bHeap[c] = o[c] - m[c] * aHeap[c];
  }
  for (let c = channels; c < period; c++) {
    aHeap[c] = aHeap[c % channels];
    bHeap[c] = bHeap[c % channels];
  }
  const out = backend.makeOutput(x.shape, "float32");
  if (size > 0) {
    const at = address(backend, out);
    simd(backend, SCORE_BATCH_NORM_ACTIVATION).channelAffine(
      address(backend, x),
      at,
      size / period,
      period,
      address(backend, a),
      address(backend, b),
    );
    activate(backend, at, at, size, activation, alpha);
  }
  release(backend, a, b);
  return out;
}

/**
 * A transposed convolution to one channel from Co not a multiple of 4 with a kernel 4 wide (the
 * decoder's last layer of a width-2 or width-3 student) by the SIMD loop `oneChannelNarrow`: one
 * vector of a kernel row's four taps per dy position, each dy channel splatted; the filter
 * [kh, 4, 1, Co] is first laid out as [kh, Co, 4] (kh·4·Co floats). Its sums run in another order
 * than training's gemm + col2im (float rounding only). Undefined for any other geometry, NCHW or
 * non-float32 inputs.
 */
function oneChannelNarrow(
  backend: BackendWasm,
  dy: Info,
  filter: Info,
  attrs: Conv2DBackpropInputAttrs,
): Info | undefined {
  if (dy.dtype !== "float32" || filter.dtype !== "float32" || attrs.dataFormat === "NCHW") {
    return undefined;
  }
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  if (ci !== 1 || kw !== 4 || co % 4 === 0) return undefined;
  const g = convGeometry(attrs.inputShape, [kh, kw, ci, co], attrs);
  if (dy.shape[1] !== g.outHeight || dy.shape[2] !== g.outWidth || dy.shape[3] !== co) {
    return undefined;
  }
  const filterT = backend.makeOutput([kh, co, kw], "float32");
  const f = backend.typedArrayFromHeap(filter) as Float32Array;
  const fT = backend.typedArrayFromHeap(filterT) as Float32Array;
  for (let a = 0; a < kh; a++) {
    for (let c = 0; c < co; c++) {
      for (let b = 0; b < kw; b++) fT[(a * co + c) * kw + b] = f[(a * kw + b) * co + c];
    }
  }
  const dx = backend.makeOutput([g.batch, g.inHeight, g.inWidth, 1], "float32");
  simd(backend, SCORE_CONV2D_TRANSPOSE).oneChannelNarrow(
    address(backend, dy),
    address(backend, filterT),
    address(backend, dx),
    g.batch,
    g.outHeight,
    g.outWidth,
    g.inHeight,
    g.inWidth,
    kh,
    g.strideHeight,
    g.strideWidth,
    g.padTop,
    g.padLeft,
    co,
  );
  release(backend, filterT);
  return dx;
}

/**
 * A scoring kernel that runs `loop` (one of the SIMD loops above) on the kernel's two inputs and,
 * where the loop declines the geometry (returns undefined), the registered wasm kernel `stock`.
 */
function withStockFallback<A>(
  names: [string, string],
  loop: (backend: BackendWasm, input: Info, filter: Info, attrs: A) => Info | undefined,
  stock: string,
): (args: Args<A>) => Info {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const named = inputs as Record<string, Info>;
    const done = loop(backend, named[names[0]], named[names[1]], attrs);
    if (done !== undefined) return done;
    const general = tf.getKernel(stock, "wasm")!;
    return general.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
  };
}

/** `EdeganScoreConv2DTranspose`: inputs `dy`, `filter`; `Conv2DBackpropInput`'s attributes. */
const scoreConv2DTranspose = withStockFallback<Conv2DBackpropInputAttrs>(
  ["dy", "filter"],
  oneChannelNarrow,
  tf.Conv2DBackpropInput,
);

/** `Conv2D`'s attributes as `tf.conv2d` gives them. */
export interface ScoreConv2DAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dilations?: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/**
 * A 4x4 convolution from one channel to Co <= 4 channels (the encoders' first layer of a width-2
 * or width-3 student) by the SIMD loop `oneChannelConv`: one vector of the Co output channels per
 * position, each input pixel splatted; the filter [4, 4, 1, Co] is first laid out as [5, 4, 4]
 * (each tap's Co weights padded with zeros, then a row of zeros). Its sums run in another order than
 * the stock kernel's (float rounding only). Undefined for any other geometry, dilations, NCHW or
 * non-float32 inputs.
 */
function oneChannelConv(
  backend: BackendWasm,
  x: Info,
  filter: Info,
  attrs: ScoreConv2DAttrs,
): Info | undefined {
  if (x.dtype !== "float32" || filter.dtype !== "float32" || attrs.dataFormat === "NCHW") {
    return undefined;
  }
  const dilations = attrs.dilations ?? 1;
  if ([dilations].flat().some((d) => d !== 1)) return undefined;
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  if (kh !== 4 || ci !== 1 || kw !== 4 || co > 4 || x.shape.length !== 4 || x.shape[3] !== 1) {
    return undefined;
  }
  const g = convGeometry(x.shape as [number, number, number, number], [kh, kw, ci, co], attrs);
  const filterT = backend.makeOutput([5, 4, 4], "float32");
  const f = backend.typedArrayFromHeap(filter) as Float32Array;
  const fT = backend.typedArrayFromHeap(filterT) as Float32Array;
  fT.fill(0);
  for (let t = 0; t < kh * 4; t++) {
    for (let c = 0; c < co; c++) fT[t * 4 + c] = f[t * co + c];
  }
  const y = backend.makeOutput([g.batch, g.outHeight, g.outWidth, co], "float32");
  if (g.batch * g.outHeight * g.outWidth > 0) {
    simd(backend, SCORE_CONV2D).oneChannelConv(
      address(backend, x),
      address(backend, filterT),
      address(backend, y),
      g.batch,
      g.inHeight,
      g.inWidth,
      g.outHeight,
      g.outWidth,
      g.strideHeight,
      g.strideWidth,
      g.padTop,
      g.padLeft,
      co,
    );
  }
  release(backend, filterT);
  return y;
}

/** `EdeganScoreConv2D`: inputs `x`, `filter`; `Conv2D`'s attributes. */
const scoreConv2D = withStockFallback<ScoreConv2DAttrs>(["x", "filter"], oneChannelConv, tf.Conv2D);

/**
 * A registered kernel of the wasm backend, called directly (no engine bookkeeping; looked up at
 * each call, so that a kernel wrapped later, as the profiler wraps them, is the one called).
 */
function wasmKernel(name: string, backend: BackendWasm, inputs: object, attrs: object): Info {
  const kernel = tf.getKernel(name, "wasm");
  if (kernel === undefined) throw new Error(`${SCORE_SEQUENCE}: no wasm kernel '${name}'`);
  return kernel.kernelFunc({ inputs, backend, attrs } as Parameters<tf.KernelFunc>[0]) as Info;
}

function weight(inputs: Record<string, Info>, name: string): Info {
  const t = inputs[name];
  if (t === undefined) throw new Error(`${SCORE_SEQUENCE}: no input '${name}'`);
  return t;
}

/** One step on `x` (see {@link ScoreStep}); a new tensor, or `x` itself for a no-op. */
function runStep(
  backend: BackendWasm,
  inputs: Record<string, Info>,
  x: Info,
  step: ScoreStep,
): Info {
  const n = x.shape[0];
  switch (step.op) {
    case "conv":
      // The attributes tf.conv2d gives its kernel.
      return wasmKernel(SCORE_CONV2D, backend, { x, filter: weight(inputs, step.filter) }, {
        strides: step.stride,
        pad: step.pad,
        dataFormat: "NHWC",
        dilations: [1, 1],
        dimRoundingMode: undefined,
      });
    case "convTranspose":
      return wasmKernel(SCORE_CONV2D_TRANSPOSE, backend, {
        dy: x,
        filter: weight(inputs, step.filter),
      }, {
        strides: step.stride,
        pad: step.pad,
        dataFormat: "NHWC",
        dimRoundingMode: undefined,
        inputShape: [n, step.outSize, step.outSize, step.outChannels],
      });
    case "batchNormActivation":
      return wasmKernel(SCORE_BATCH_NORM_ACTIVATION, backend, {
        x,
        mean: weight(inputs, step.mean),
        variance: weight(inputs, step.variance),
        offset: weight(inputs, step.offset),
        scale: weight(inputs, step.scale),
      }, { varianceEpsilon: step.epsilon, activation: step.activation, alpha: step.alpha });
    case "activation":
      if (step.activation === "none") return x;
      return wasmKernel(SCORE_ACTIVATION, backend, { x }, {
        activation: step.activation,
        alpha: step.alpha,
      });
    case "reshape":
      return wasmKernel(tf.Reshape, backend, { x }, { shape: [n, ...step.shape] });
    default:
      throw new Error(`${SCORE_SEQUENCE}: unknown step '${(step as { op: string }).op}'`);
  }
}

/**
 * `EdeganScoreSequence`: input `x` and the weights the steps name; attribute `steps`
 * ({@link ScoreStep}[]). Returns the values of the `output` steps, in order.
 */
function scoreSequence(args: Args): Info[] {
  const { backend, attrs } = args;
  const inputs = args.inputs as Record<string, Info>;
  const steps = attrs.steps as unknown as ScoreStep[];
  const outputs: Info[] = [];
  let current = weight(inputs, "x");
  // Whether `current` was made here (freed once the next step has read it, unless returned).
  let made = false;
  try {
    for (const step of steps) {
      if (step.op === "output") {
        if (!made) throw new Error(`${SCORE_SEQUENCE}: an output must follow a step`);
        outputs.push(current);
        continue;
      }
      const next = runStep(backend, inputs, current, step);
      if (next === current) continue;
      if (made && !outputs.includes(current)) release(backend, current);
      current = next;
      made = true;
    }
    if (made && !outputs.includes(current)) release(backend, current);
  } catch (error) {
    if (made && !outputs.includes(current)) release(backend, current);
    release(backend, ...outputs);
    throw error;
  }
  return outputs;
}

const config = (kernelName: string, kernelFunc: unknown): tf.KernelConfig => ({
  kernelName,
  backendName: "wasm",
  kernelFunc: kernelFunc as tf.KernelFunc,
});

/**
 * The scoring kernels' registrations (`../kernels.ts` registers them on both variants).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerKernels } from "../kernels.ts";
 * import { SCORE_ACTIVATION } from "../../ops/kernel_names.ts";
 * await tf.setBackend("wasm");
 * registerKernels("wasm");
 * const y = tf.engine().runKernel(SCORE_ACTIVATION, { x: tf.tensor1d([-2, 0, 3]) },
 *   { activation: "leakyRelu", alpha: 0.5 }) as tf.Tensor;
 * assertEquals(Array.from(y.dataSync()), [-1, 0, 3]);
 * ```
 */
export const scoringKernelConfigs: readonly tf.KernelConfig[] = [
  config(SCORE_ACTIVATION, scoreActivation),
  config(SCORE_BATCH_NORM_ACTIVATION, scoreBatchNormActivation),
  config(SCORE_CONV2D_TRANSPOSE, scoreConv2DTranspose),
  config(SCORE_CONV2D, scoreConv2D),
  config(SCORE_SEQUENCE, scoreSequence),
];
