/**
 * The tfjs kernels `Conv2D`, `Conv2DBackpropInput` and `Conv2DBackpropFilter` on oneDNN, for the
 * wasm backend: they read and write the tensors where the wasm backend keeps them (its heap), by
 * pointer, with no copy. Inputs they do not handle (NCHW, dilation, non-float32, empty) go to the
 * kernel they replaced (edegan's wasm kernels).
 *
 * @module
 */

import type * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type BackpropAttrs, type ConvGeometry, convGeometry } from "../wasm_kernels/_geometry.ts";
import { type ConvDirection, runConvolution } from "./convolution.ts";

type Info = tf.TensorInfo;
type Shape4 = [number, number, number, number];

/** Attributes of the three convolution kernels as tfjs passes them. */
export interface ConvKernelAttrs extends BackpropAttrs {
  dataFormat?: "NHWC" | "NCHW";
  dilations?: [number, number] | number;
  inputShape?: Shape4;
  filterShape?: Shape4;
}

/** A kernel's arguments. */
export interface ConvKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: ConvKernelAttrs;
}

/** The wasm heap's first byte (take it after every allocation: the heap may move). */
export function heapBase(backend: BackendWasm): Deno.PointerValue {
  const heap = (backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
  return Deno.UnsafePointer.of(heap as Uint8Array<ArrayBuffer>);
}

/** Each tensor's address in the wasm heap (take them after every allocation: the heap may move). */
export function heapAddresses(backend: BackendWasm, infos: Info[]): Deno.PointerValue[] {
  const base = heapBase(backend);
  return infos.map((info) =>
    Deno.UnsafePointer.offset(base!, backend.dataIdMap.get(info.dataId)!.memoryOffset)
  );
}

function handles(attrs: ConvKernelAttrs, ...infos: Info[]): boolean {
  const d = attrs.dilations ?? 1;
  const [dh, dw] = typeof d === "number" ? [d, d] : d;
  return attrs.dataFormat !== "NCHW" && dh === 1 && dw === 1 &&
    infos.every((i) => i.dtype === "float32" && i.shape.length === 4);
}

function isEmpty(g: ConvGeometry): boolean {
  return g.batch * g.outHeight * g.outWidth * g.outChannels * g.inChannels * g.inHeight *
      g.inWidth === 0;
}

/**
 * Whether oneDNN runs this convolution, or edegan's wasm kernel, which is faster on the shapes
 * oneDNN's blocked kernels serve badly. Measured on the teacher's layers with the rest of the
 * machine idle (`deno task bench --suite kernels --backend onednn`, BENCHMARKS.md; oneDNN time
 * over wasm time): the input gradient of a one-channel input 1.7x (batch 1) and 2.5x (batch 64;
 * wasm has a one-pass SIMD kernel for it), its weight gradient 1.4x at batch 1, and the layers whose
 * kernel covers the whole input (the encoders' last, the decoder's first: a plain matrix product)
 * 5-10x at batch 1 and 1.4x for their forward pass at batch 64. On every other layer oneDNN was
 * 1.5-9.7x faster, except one (enc3's input gradient at batch 1, 0.9x: left to oneDNN).
 * A fixed rule, not a timing at run time, so a seed gives the same run every time.
 *
 * @example
 * ```ts
 * import { onednnServes } from "./kernels.ts";
 * import { convGeometry } from "../wasm_kernels/_geometry.ts";
 * const enc2 = convGeometry([64, 16, 16, 64], [4, 4, 64, 128], { strides: 2, pad: "same" });
 * const enc1 = convGeometry([64, 32, 32, 1], [4, 4, 1, 64], { strides: 2, pad: "same" });
 * if (!onednnServes("backwardData", enc2) || onednnServes("backwardData", enc1)) throw new Error();
 * ```
 */
export function onednnServes(direction: ConvDirection, g: ConvGeometry): boolean {
  const positions = g.batch * g.outHeight * g.outWidth;
  const coversInput = g.outHeight === 1 && g.outWidth === 1 && g.padTop === 0 &&
    g.padLeft === 0 && g.inHeight === g.filterHeight && g.inWidth === g.filterWidth;
  if (g.inChannels === 1 && direction === "backwardData") return false;
  if (g.inChannels === 1 && direction === "backwardWeights" && positions <= 4096) return false;
  if (coversInput && (direction === "forward" || g.batch < 16)) return false;
  return true;
}

/** For tests and measurements: `everything` sends every convolution to oneDNN. */
export const routing = { everything: false };

/**
 * Runs one convolution direction on oneDNN, or returns `undefined` when the inputs are of a kind
 * it leaves to the fallback (see {@link onednnServes}; `routing.everything` runs oneDNN on those
 * too, as the tests and the kernels bench do to check and measure them).
 */
export function onednnConvolution(
  direction: ConvDirection,
  args: ConvKernelArgs,
): Info | undefined {
  const { inputs, backend, attrs } = args;
  let g: ConvGeometry;
  let a: Info, b: Info, outShape: number[];
  if (direction === "forward") {
    const { x, filter } = inputs as { x: Info; filter: Info };
    if (!handles(attrs, x, filter)) return undefined;
    g = convGeometry(x.shape as Shape4, filter.shape as Shape4, attrs);
    [a, b] = [x, filter];
    outShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  } else if (direction === "backwardData") {
    const { dy, filter } = inputs as { dy: Info; filter: Info };
    if (!handles(attrs, dy, filter)) return undefined;
    g = convGeometry(attrs.inputShape!, filter.shape as Shape4, attrs);
    [a, b] = [dy, filter];
    outShape = attrs.inputShape!;
  } else {
    const { x, dy } = inputs as { x: Info; dy: Info };
    if (!handles(attrs, x, dy)) return undefined;
    g = convGeometry(x.shape as Shape4, attrs.filterShape!, attrs);
    [a, b] = [x, dy];
    outShape = attrs.filterShape!;
  }
  if (isEmpty(g) || (!routing.everything && !onednnServes(direction, g))) {
    return undefined;
  }
  const out = backend.makeOutput(outShape, "float32");
  // The filter's identity (forward and data gradient) lets its reordered copy be reused.
  const filter = direction === "backwardWeights" ? undefined : b.dataId;
  runConvolution(direction, g, heapAddresses(backend, [a, b, out]), filter);
  return out;
}

/**
 * The kernel function of one convolution direction on the `onednn` backend: oneDNN where it
 * serves the inputs ({@link onednnConvolution}), else `fallback` (edegan's wasm kernel).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { onednnConvolutionKernel } from "./kernels.ts";
 * const kernel = onednnConvolutionKernel("forward", () => ({ dataId: {}, shape: [1], dtype: "float32" }));
 * assertEquals(typeof kernel, "function");
 * ```
 */
export function onednnConvolutionKernel(
  direction: ConvDirection,
  fallback: tf.KernelFunc,
): tf.KernelFunc {
  return (args) =>
    onednnConvolution(direction, args as unknown as ConvKernelArgs) ?? fallback(args);
}
