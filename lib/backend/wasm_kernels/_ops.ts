/**
 * Thin calls into the stock wasm kernels (XNNPACK-backed where it matters), made from inside a
 * kernel function: they take and return `TensorInfo`s, never engine tensors, so every intermediate
 * must be released with {@link release}.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** A tensor as kernels see it. */
export type Info = tf.TensorInfo;

/** Explicit padding in the form `computeConv2DInfo` takes: [[0,0],[top,bottom],[left,right],[0,0]]. */
export type Padding4 = [[number, number], [number, number], [number, number], [number, number]];

/** Stock kernels that an edegan kernel replaced, by name: calls here must reach XNNPACK. */
const replaced = new Map<string, tf.KernelFunc>();

/**
 * Remembers the stock kernel `kernelName` before an edegan kernel replaces it, so that the
 * helpers here keep calling the stock one (XNNPACK), never the replacement.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import { setStockKernel } from "./_ops.ts";
 * const stock = tf.getKernel("Conv2D", "wasm");
 * if (stock) setStockKernel("Conv2D", stock.kernelFunc);
 * ```
 */
export function setStockKernel(kernelName: string, kernelFunc: tf.KernelFunc): void {
  replaced.set(kernelName, kernelFunc);
}

/**
 * The stock kernel `kernelName` that an edegan kernel replaced (for fallbacks and comparisons),
 * once `registerWasmTrainingKernels` has run; undefined before, and for kernels not replaced.
 *
 * @example
 * ```ts
 * import { stockKernel } from "./_ops.ts";
 * console.log(stockKernel("Conv2D") === undefined ? "not replaced yet" : "stock kept");
 * ```
 */
export function stockKernel(kernelName: string): tf.KernelFunc | undefined {
  return replaced.get(kernelName);
}

/**
 * Runs the replaced stock kernel on a replacement's own arguments: the fallback of an edegan
 * kernel for inputs it does not handle.
 */
export function callStockKernel(kernelName: string, args: unknown): Info {
  const kernel = replaced.get(kernelName);
  if (kernel === undefined) throw new Error(`${kernelName}: the stock kernel is not set`);
  return kernel(args as Parameters<tf.KernelFunc>[0]) as Info;
}

function stock(kernelName: string): tf.KernelFunc {
  const saved = replaced.get(kernelName);
  if (saved !== undefined) return saved;
  const config = tf.getKernel(kernelName, "wasm");
  if (config === undefined) throw new Error(`wasm kernel '${kernelName}' is not registered`);
  return config.kernelFunc;
}

function call(
  backend: BackendWasm,
  kernelName: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
): Info {
  return stock(kernelName)({ inputs, backend, attrs }) as Info;
}

/** A stock elementwise kernel of one input (`Exp`, `Log1p`, ...) on `x`: a new tensor. */
export function unary(backend: BackendWasm, kernelName: string, x: Info): Info {
  return call(backend, kernelName, { x }, {});
}

/** Frees an intermediate made by these helpers (or drops one reference to a reshaped view). */
export function release(backend: BackendWasm, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Stride-1..n NHWC convolution with explicit padding (XNNPACK). */
export function conv2d(
  backend: BackendWasm,
  x: Info,
  filter: Info,
  strides: [number, number],
  pad: Padding4 | "valid",
  dilations: [number, number] = [1, 1],
): Info {
  return call(backend, "Conv2D", { x, filter }, {
    strides,
    pad: pad as unknown as tf.NamedAttrMap[string],
    dilations,
    dataFormat: "NHWC",
    dimRoundingMode: undefined as unknown as string,
  });
}

/** A matrix product of two rank-2 tensors, neither transposed (the fast XNNPACK path). */
export function matMul(backend: BackendWasm, a: Info, b: Info): Info {
  const out = call(backend, "BatchMatMul", { a, b }, { transposeA: false, transposeB: false });
  const shaped = reshape(backend, out, [a.shape[0], b.shape[1]]);
  release(backend, out);
  return shaped;
}

/** A new view with another shape (shares the data; release it like any other result). */
export function reshape(backend: BackendWasm, x: Info, shape: number[]): Info {
  return call(backend, "Reshape", { x }, { shape });
}

/** Permutes the axes (native kernel; ranks up to 4 after size-1 axes are dropped are fastest). */
export function transpose(backend: BackendWasm, x: Info, perm: number[]): Info {
  return call(backend, "Transpose", { x }, { perm });
}

/** Zero padding. */
export function pad(backend: BackendWasm, x: Info, paddings: [number, number][]): Info {
  return call(backend, "PadV2", { x }, {
    paddings: paddings as unknown as tf.NamedAttrMap[string],
    constantValue: 0,
  });
}

/** A contiguous box of `x`. */
export function slice(backend: BackendWasm, x: Info, begin: number[], size: number[]): Info {
  return call(backend, "Slice", { x }, { begin, size });
}

/** A float32 array over the wasm heap holding `x` (invalid after any allocation). */
export function heap(backend: BackendWasm, x: Info): Float32Array {
  return backend.typedArrayFromHeap(x) as Float32Array;
}
