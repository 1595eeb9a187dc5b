/**
 * `Conv2D` for the wasm backend, in place of the stock XNNPACK kernel where that one is slow: at
 * small batch sizes.
 *
 * XNNPACK creates one operator per filter tensor and packs the filter's weights into it when it
 * first sees that tensor. Training makes every filter a new tensor after each optimiser step, so
 * each forward convolution repacks its filter; at batch 1 the packing costs 5-50 times the
 * arithmetic (enc3 of the teacher: 7 ms against 0.5 ms). Up to `gemmLimits.convPositions` output
 * positions (`_geometry.ts`) this kernel is im2col then the SIMD matrix product of `_simd_gemm.ts`,
 * which reads the filter [kh·kw·Ci, Co] where it lies and packs nothing; beyond that, packing
 * costs little per image and XNNPACK's direct convolution wins (and needs no im2col buffer). A
 * filter used more than {@link REUSED_FILTER_CALLS} times (inference) also goes to XNNPACK, which
 * then packs it once. Non-float32, NCHW and dilated convolutions go to the stock kernel.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  type BackpropAttrs,
  type ConvGeometry,
  convGeometry,
  coversInput,
  gemmLimits,
} from "./_geometry.ts";
import { im2col } from "./_heap.ts";
import { callStockKernel, type Info, release } from "./_ops.ts";
import { address, simdKernels } from "./_simd.ts";

/** Attributes of `Conv2D` as tfjs passes them. */
export interface Conv2DAttrs extends BackpropAttrs {
  dataFormat: "NHWC" | "NCHW";
  dilations: [number, number] | number;
}

/** How {@link conv2D} computes a given geometry. */
export type Conv2DMethod = "gemm" | "xnnpack";

/**
 * The method for a geometry: the SIMD product (`gemm`) for up to `gemmLimits.convPositions`
 * output positions or short im2col rows (`gemmLimits.convColumns`), else XNNPACK.
 *
 * @example
 * ```ts
 * import { conv2DMethod } from "./conv2d.ts";
 * import { convGeometry } from "./_geometry.ts";
 * const g = convGeometry([1, 8, 8, 128], [4, 4, 128, 256], { strides: 2, pad: "same" });
 * if (conv2DMethod(g) !== "gemm") throw new Error();
 * ```
 */
export function conv2DMethod(g: ConvGeometry): Conv2DMethod {
  const positions = g.batch * g.outHeight * g.outWidth;
  const columns = g.filterHeight * g.filterWidth * g.inChannels;
  return positions <= gemmLimits.convPositions || columns <= gemmLimits.convColumns
    ? "gemm"
    : "xnnpack";
}

/**
 * The kernel function: y [N,Ho,Wo,Co] from x [N,H,W,Ci] and filter [kh,kw,Ci,Co].
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels(); // conv2d at small batch sizes now runs conv2D
 * const x = tf.ones([1, 8, 8, 3]) as tf.Tensor4D;
 * const y = tf.conv2d(x, tf.ones([3, 3, 3, 4]) as tf.Tensor4D, 1, "same");
 * if (y.shape.join() !== "1,8,8,4") throw new Error(String(y.shape));
 * ```
 */
export function conv2D(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: Conv2DAttrs },
): Info {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs as { x: Info; filter: Info };
  const dilations = typeof attrs.dilations === "number"
    ? [attrs.dilations, attrs.dilations]
    : attrs.dilations ?? [1, 1];
  const simd = simdKernels(backend);
  const handled = simd !== undefined && x.dtype === "float32" && filter.dtype === "float32" &&
    attrs.dataFormat !== "NCHW" && dilations[0] === 1 && dilations[1] === 1;
  const g = handled
    ? convGeometry(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs,
    )
    : undefined;
  if (
    simd === undefined || g === undefined || conv2DMethod(g) !== "gemm" || isEmpty(g) ||
    reused(filter)
  ) {
    return callStockKernel(tf.Conv2D, args);
  }
  const positions = g.batch * g.outHeight * g.outWidth;
  const columns = g.filterHeight * g.filterWidth * g.inChannels;
  // Where every output position reads one contiguous row of x (a kernel covering the input, as
  // the encoders' last layer; a 1x1 stride-1 kernel), x already is im2col(x).
  const patches = readsRows(g) ? x : im2col(backend, x, g);
  const y = backend.makeOutput([g.batch, g.outHeight, g.outWidth, g.outChannels], "float32");
  simd.gemm(
    address(backend, patches),
    address(backend, filter),
    address(backend, y),
    positions,
    columns,
    g.outChannels,
    columns,
    1,
  );
  if (patches !== x) release(backend, patches);
  return y;
}

/**
 * Calls per filter tensor (keyed by its data, so forgotten with it). Training makes new filters
 * every step and uses each a few times (an EDE-GAN step: the encoders' once, the discriminator's
 * four times); inference uses the same filters for every batch (as does a distillation teacher),
 * where XNNPACK packs them once and then runs about 20 % faster than the SIMD product.
 */
const filterUses = new WeakMap<object, number>();

/** From this many earlier calls with the same filter on, XNNPACK's packing pays off. */
export const REUSED_FILTER_CALLS = 4;

/** Depth of {@link withFixedFilters} scopes around the running code. */
let fixedFilterScopes = 0;

/**
 * Runs `fn` with every convolution filter taken as reused: XNNPACK from the first call, whatever
 * the filter's history. Scoring runs its batches in it, so that an image's bits never depend on
 * how many batches were scored before (the count below would switch an encoder's filter from the
 * SIMD product to XNNPACK after a few batches, two summation orders that differ in the last bits).
 * Returns what `fn` returns; the scope ends when it returns or throws.
 *
 * @example
 * ```ts
 * import { withFixedFilters } from "./conv2d.ts";
 * if (withFixedFilters(() => 2 + 2) !== 4) throw new Error();
 * ```
 */
export function withFixedFilters<T>(fn: () => T): T {
  fixedFilterScopes++;
  try {
    return fn();
  } finally {
    fixedFilterScopes--;
  }
}

/**
 * Counts a call with `filter`; true once it has been used {@link REUSED_FILTER_CALLS} times, and
 * always inside {@link withFixedFilters} (where nothing is counted).
 */
function reused(filter: Info): boolean {
  if (fixedFilterScopes > 0) return true;
  const uses = filterUses.get(filter.dataId) ?? 0;
  if (uses >= REUSED_FILTER_CALLS) return true;
  filterUses.set(filter.dataId, uses + 1);
  return false;
}

function isEmpty(g: ConvGeometry): boolean {
  return g.batch * g.outHeight * g.outWidth * g.outChannels === 0 ||
    g.filterHeight * g.filterWidth * g.inChannels === 0;
}

/** True when im2col(x) is x itself: row (n, i, j) of it is a contiguous run of x. */
function readsRows(g: ConvGeometry): boolean {
  if (g.padTop !== 0 || g.padLeft !== 0) return false;
  const pointwise = g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 &&
    g.strideWidth === 1 && g.outHeight === g.inHeight && g.outWidth === g.inWidth;
  return coversInput(g) || pointwise;
}

/**
 * The kernel config registered by `registerWasmTrainingKernels`.
 *
 * @example
 * ```ts
 * import { conv2DConfig } from "./conv2d.ts";
 * if (conv2DConfig.kernelName !== "Conv2D") throw new Error();
 * ```
 */
export const conv2DConfig: tf.KernelConfig = {
  kernelName: tf.Conv2D,
  backendName: "wasm",
  kernelFunc: conv2D as unknown as tf.KernelFunc,
};
