/**
 * `Conv2DBackpropFilter` for the wasm backend (the stock backend has none): the weight gradient of
 * conv2d, and of conv2dTranspose.
 *
 * dW[a, b, c, o] = Σ_{n,i,j} x[n, i·s + a - padTop, j·s + b - padLeft, c]·dy[n, i, j, o] is itself
 * a convolution once batch and channels swap roles: over xᵀ [Ci, H, W, N] with the "filter"
 * dyᵀ [Ho, Wo, N, Co], dilated by the stride, giving [Ci, kh, kw, Co]. XNNPACK runs that as fast
 * as a forward convolution when N is large enough to fill its inner loop. For small batches (or
 * few input channels) it is the matrix product im2col(x)ᵀ · dy instead, and with at most four
 * terms N·Ho·Wo per weight (an outer product at batch 1) the SIMD loop of `_simd_small_gemm.ts`.
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
import { im2col, im2colTransposed } from "./_heap.ts";
import { address, simdKernels } from "./_simd.ts";
import { conv2d, type Info, matMul, release, reshape, slice, transpose } from "./_ops.ts";

/** Attributes of `Conv2DBackpropFilter` as tfjs passes them. */
export interface Conv2DBackpropFilterAttrs extends BackpropAttrs {
  filterShape: [number, number, number, number];
  dataFormat: "NHWC" | "NCHW";
}

/** From this batch size and this many kh·kw·Ci rows on, the dilated convolution beats im2col. */
const CONV_MIN_BATCH = 8;
const CONV_MIN_ROWS = 64;

/**
 * The kernel function: dW [kh,kw,Ci,Co] (= `filterShape`) from x [N,H,W,Ci] and dy [N,Ho,Wo,Co],
 * for any stride, kernel size and padding ('same', 'valid', explicit), NHWC or NCHW.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels();
 * const x = tf.ones([2, 8, 8, 3]) as tf.Tensor4D;
 * const loss = (f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 2, "same");
 * const dW = tf.grad(loss)(tf.ones([4, 4, 3, 5]));
 * if (dW.shape.join() !== "4,4,3,5") throw new Error(String(dW.shape));
 * ```
 */
export function conv2DBackpropFilter(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: Conv2DBackpropFilterAttrs },
): Info {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs as { x: Info; dy: Info };
  if (x.dtype !== "float32" || dy.dtype !== "float32") {
    throw new Error(`Conv2DBackpropFilter: float32 only, got ${x.dtype} and ${dy.dtype}`);
  }
  if (attrs.dataFormat === "NCHW") {
    const xNhwc = transpose(backend, x, [0, 2, 3, 1]);
    const dyNhwc = transpose(backend, dy, [0, 2, 3, 1]);
    const dW = backpropFilterNhwc(backend, xNhwc, dyNhwc, attrs);
    release(backend, xNhwc, dyNhwc);
    return dW;
  }
  return backpropFilterNhwc(backend, x, dy, attrs);
}

function backpropFilterNhwc(
  backend: BackendWasm,
  x: Info,
  dy: Info,
  attrs: Conv2DBackpropFilterAttrs,
): Info {
  const g = convGeometry(x.shape as [number, number, number, number], attrs.filterShape, attrs);
  if (dy.shape[1] !== g.outHeight || dy.shape[2] !== g.outWidth) {
    throw new Error(
      `Conv2DBackpropFilter: dy is ${dy.shape} but the convolution gives ` +
        `${g.outHeight}x${g.outWidth}`,
    );
  }
  const terms = g.batch * g.outHeight * g.outWidth;
  if (terms === 0 || tf.util.sizeFromShape(attrs.filterShape) === 0) {
    const dW = backend.makeOutput(attrs.filterShape, "float32");
    (backend.typedArrayFromHeap(dW) as Float32Array).fill(0);
    return dW;
  }
  switch (backpropFilterMethod(g)) {
    case "dilated-conv":
      return dilatedConv(backend, x, dy, g);
    case "short-gemm":
      return shortProduct(backend, x, dy, g) ?? im2colProduct(backend, x, dy, g);
    case "gemm":
      return im2colProduct(backend, x, dy, g);
  }
}

/** How {@link conv2DBackpropFilter} computes a given geometry. */
export type BackpropFilterMethod = "dilated-conv" | "gemm" | "short-gemm";

/** Up to this many terms N·Ho·Wo per weight, the SIMD loop beats XNNPACK's product. */
const SHORT_MAX_TERMS = 4;

/**
 * The method for a geometry: up to four terms N·Ho·Wo per weight the SIMD outer-product loop
 * (`short-gemm`); up to `gemmLimits.filterGradientTerms` terms the matrix product
 * im2col(x)ᵀ · dy (`gemm`, by the SIMD product); beyond, the dilated convolution
 * (`dilated-conv`) when batch (its inner loop) and kh·kw·Ci (its output rows) are both large
 * enough to keep XNNPACK busy, else `gemm`.
 *
 * @example
 * ```ts
 * import { backpropFilterMethod } from "./conv2d_backprop_filter.ts";
 * import { convGeometry } from "./_geometry.ts";
 * const g = convGeometry([64, 16, 16, 64], [4, 4, 64, 128], { strides: 2, pad: "same" });
 * if (backpropFilterMethod(g) !== "dilated-conv") throw new Error();
 * ```
 */
export function backpropFilterMethod(g: ConvGeometry): BackpropFilterMethod {
  const rows = g.filterHeight * g.filterWidth * g.inChannels;
  const terms = g.batch * g.outHeight * g.outWidth;
  if (terms <= SHORT_MAX_TERMS && g.outChannels % 4 === 0) return "short-gemm";
  if (terms <= gemmLimits.filterGradientTerms) return "gemm";
  return g.batch >= CONV_MIN_BATCH && rows >= CONV_MIN_ROWS ? "dilated-conv" : "gemm";
}

/** dW as the convolution xᵀ [Ci,H,W,N] * dyᵀ [Ho,Wo,N,Co], dilation = stride. */
function dilatedConv(backend: BackendWasm, x: Info, dy: Info, g: ConvGeometry): Info {
  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  // Padding after x so that exactly kh x kw outputs come out; negative means trailing rows or
  // columns of x no tap reaches, and the extra outputs are cut off below.
  const bottom = g.filterHeight + (g.outHeight - 1) * g.strideHeight - g.inHeight - g.padTop;
  const right = g.filterWidth + (g.outWidth - 1) * g.strideWidth - g.inWidth - g.padLeft;
  const out = conv2d(
    backend,
    xT,
    dyT,
    [1, 1],
    [[0, 0], [g.padTop, Math.max(0, bottom)], [g.padLeft, Math.max(0, right)], [0, 0]],
    [g.strideHeight, g.strideWidth],
  );
  release(backend, xT, dyT);
  let cropped = out;
  if (bottom < 0 || right < 0) {
    cropped = slice(backend, out, [0, 0, 0, 0], [
      g.inChannels,
      g.filterHeight,
      g.filterWidth,
      g.outChannels,
    ]);
    release(backend, out);
  }
  const dW = transpose(backend, cropped, [1, 2, 0, 3]);
  release(backend, cropped);
  return dW;
}

/**
 * dW [kh·kw·Ci, Co] = im2col(x)ᵀ [kh·kw·Ci, N·Ho·Wo] · dy [N·Ho·Wo, Co], by the SIMD product
 * where there is one (XNNPACK's packs dy, a new tensor, on every call), else XNNPACK's.
 */
function im2colProduct(backend: BackendWasm, x: Info, dy: Info, g: ConvGeometry): Info {
  const simd = simdKernels(backend);
  const rows = g.filterHeight * g.filterWidth * g.inChannels;
  const terms = g.batch * g.outHeight * g.outWidth;
  if (simd !== undefined) {
    // im2col(x) [L, kh·kw·Ci] (contiguous runs of x; x itself where one kernel position covers
    // the input), read transposed by the product.
    const patches = coversInput(g) ? x : im2col(backend, x, g);
    const dW = backend.makeOutput(
      [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels],
      "float32",
    );
    simd.gemm(
      address(backend, patches),
      address(backend, dy),
      address(backend, dW),
      rows,
      terms,
      g.outChannels,
      1,
      rows,
    );
    if (patches !== x) release(backend, patches);
    return dW;
  }
  const patchesT = im2colTransposed(backend, x, g);
  const dy2 = reshape(backend, dy, [terms, g.outChannels]);
  const dW2 = matMul(backend, patchesT, dy2);
  release(backend, patchesT, dy2);
  const dW = reshape(backend, dW2, [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels]);
  release(backend, dW2);
  return dW;
}

/**
 * dW [kh·kw·Ci, Co] = im2col(x)ᵀ [kh·kw·Ci, L] · dy [L, Co] for a short L (an outer product of x
 * and dy when L = 1), by the SIMD loop: XNNPACK would run a product of inner size L far below its
 * peak. Undefined without SIMD.
 */
function shortProduct(backend: BackendWasm, x: Info, dy: Info, g: ConvGeometry): Info | undefined {
  const simd = simdKernels(backend);
  if (simd === undefined) return undefined;
  const rows = g.filterHeight * g.filterWidth * g.inChannels;
  const terms = g.batch * g.outHeight * g.outWidth;
  // One dy position whose kernel covers x exactly (the encoder's last layer): x is im2col(x)ᵀ.
  const covers = terms === 1 && coversInput(g);
  const patchesT = covers ? x : im2colTransposed(backend, x, g);
  const dW = backend.makeOutput(
    [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels],
    "float32",
  );
  simd.smallGemm(
    address(backend, patchesT),
    address(backend, dy),
    address(backend, dW),
    rows,
    terms,
    g.outChannels,
  );
  if (!covers) release(backend, patchesT);
  return dW;
}

/**
 * The kernel config registered by `registerWasmTrainingKernels`.
 *
 * @example
 * ```ts
 * import { conv2DBackpropFilterConfig } from "./conv2d_backprop_filter.ts";
 * if (conv2DBackpropFilterConfig.kernelName !== "Conv2DBackpropFilter") throw new Error();
 * ```
 */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
