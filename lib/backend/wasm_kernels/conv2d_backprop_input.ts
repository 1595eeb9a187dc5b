/**
 * `Conv2DBackpropInput` for the wasm backend: the input gradient of conv2d, which is also the
 * forward pass of conv2dTranspose (every decoder layer).
 *
 * A stride-s transposed convolution is split into s² stride-1 XNNPACK convolutions over dy, one
 * per output phase (row and column remainder mod s), each with its ceil(k/s)-tap flipped
 * sub-filter and its own padding, whose outputs are interleaved back: no multiplication by an
 * inserted zero and no output computed twice. Where that would make XNNPACK repack a large filter
 * for little work (few dy positions) or run with few output channels, it is a matrix product
 * followed by col2im instead, and where XNNPACK has no good operator at all (one input channel;
 * one to four dy positions) it is a SIMD loop of `_simd.ts` (see {@link backpropInputMethod}).
 * Non-float32 inputs go to the stock kernel.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  type AxisPhase,
  axisPhase,
  type BackpropAttrs,
  type ConvGeometry,
  convGeometry,
  coversInput,
  gemmLimits,
} from "./_geometry.ts";
import { col2im, col2imTransposed, interleavePhases, phaseFilter, transpose2d } from "./_heap.ts";
import {
  callStockKernel,
  conv2d,
  type Info,
  matMul,
  type Padding4,
  release,
  reshape,
  slice,
  transpose,
} from "./_ops.ts";
import { address, simdKernels } from "./_simd.ts";

/** Attributes of `Conv2DBackpropInput` as tfjs passes them. */
export interface Conv2DBackpropInputAttrs extends BackpropAttrs {
  inputShape: [number, number, number, number];
  dataFormat: "NHWC" | "NCHW";
}

/**
 * The kernel function: dx [N,H,W,Ci] (= `inputShape`) from dy [N,Ho,Wo,Co] and filter
 * [kh,kw,Ci,Co], for any stride, kernel size and padding ('same', 'valid', explicit), NHWC or NCHW.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels(); // conv2dTranspose now runs conv2DBackpropInput
 * const dy = tf.ones([1, 4, 4, 8]) as tf.Tensor4D;
 * const y = tf.conv2dTranspose(dy, tf.ones([4, 4, 3, 8]) as tf.Tensor4D, [1, 8, 8, 3], 2, "same");
 * if (y.shape.join() !== "1,8,8,3") throw new Error(String(y.shape));
 * ```
 */
export function conv2DBackpropInput(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: Conv2DBackpropInputAttrs },
): Info {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  if (dy.dtype !== "float32" || filter.dtype !== "float32") {
    return callStockKernel(tf.Conv2DBackpropInput, args);
  }
  if (attrs.dataFormat === "NCHW") {
    const [n, c, h, w] = attrs.inputShape;
    const dyNhwc = transpose(backend, dy, [0, 2, 3, 1]);
    const dxNhwc = backpropInputNhwc(backend, dyNhwc, filter, [n, h, w, c], attrs);
    const dx = transpose(backend, dxNhwc, [0, 3, 1, 2]);
    release(backend, dyNhwc, dxNhwc);
    return dx;
  }
  return backpropInputNhwc(backend, dy, filter, attrs.inputShape, attrs);
}

function backpropInputNhwc(
  backend: BackendWasm,
  dy: Info,
  filter: Info,
  inputShape: [number, number, number, number],
  attrs: BackpropAttrs,
): Info {
  const g = convGeometry(inputShape, filter.shape as [number, number, number, number], attrs);
  if (dy.shape[1] !== g.outHeight || dy.shape[2] !== g.outWidth) {
    throw new Error(
      `Conv2DBackpropInput: dy is ${dy.shape} but the convolution gives ` +
        `${g.outHeight}x${g.outWidth}`,
    );
  }
  if (g.batch * g.inHeight * g.inWidth * g.inChannels === 0 || g.outChannels === 0) {
    return zeros(backend, inputShape);
  }
  switch (backpropInputMethod(g)) {
    case "one-channel":
      return oneChannel(backend, dy, filter, g) ?? gemm(backend, dy, filter, g);
    case "row-dots":
      return rowDots(backend, dy, filter, g) ?? gemmTransposed(backend, dy, filter, g);
    case "gemm-dyT":
      return gemmTransposed(backend, dy, filter, g);
    case "gemm":
      return gemm(backend, dy, filter, g);
    case "phases":
      return phases(backend, dy, filter, g);
  }
}

/** How {@link conv2DBackpropInput} computes a given geometry. */
export type BackpropInputMethod = "phases" | "gemm" | "gemm-dyT" | "one-channel" | "row-dots";

/** Up to this many dy positions N·Ho·Wo, dot products of the filter's rows beat XNNPACK. */
const ROW_DOTS_MAX_POSITIONS = 4;

/**
 * The method for a geometry. XNNPACK repacks whichever operand plays the weights on every call,
 * so the choice keeps that operand small: few dy positions (L = N·Ho·Wo up to
 * `gemmLimits.inputGradientPositions`, or below kh·kw·Ci / 2) make it the product f · dyᵀ
 * (`gemm-dyT`: the SIMD product of `_simd_gemm.ts`, which packs nothing); few input channels (a phase
 * convolution with under 16 output channels runs XNNPACK far below its peak) use fᵀ as weights
 * (`gemm`); otherwise one stride-1
 * convolution per output phase (`phases`). Two shapes skip XNNPACK: one input channel with kernel
 * width and Co multiples of 4 (`one-channel`: a 1-wide output would waste its tiles) and at most four dy positions
 * (`row-dots`: a matrix-vector product, where packing either operand costs more than the product).
 *
 * @example
 * ```ts
 * import { backpropInputMethod } from "./conv2d_backprop_input.ts";
 * import { convGeometry } from "./_geometry.ts";
 * const g = convGeometry([64, 16, 16, 64], [4, 4, 64, 128], { strides: 2, pad: "same" });
 * if (backpropInputMethod(g) !== "phases") throw new Error();
 * ```
 */
export function backpropInputMethod(g: ConvGeometry): BackpropInputMethod {
  const columns = g.filterHeight * g.filterWidth * g.inChannels;
  const positions = g.batch * g.outHeight * g.outWidth;
  if (g.inChannels === 1 && g.filterWidth % 4 === 0 && g.outChannels % 4 === 0) {
    return "one-channel";
  }
  if (positions <= ROW_DOTS_MAX_POSITIONS && columns % 4 === 0 && g.outChannels % 4 === 0) {
    return "row-dots";
  }
  if (positions <= gemmLimits.inputGradientPositions || positions * 2 < columns) return "gemm-dyT";
  if (g.inChannels < 16) return "gemm";
  return "phases";
}

/**
 * One input channel (a transposed convolution to one channel, as the decoder's last layer): one
 * SIMD pass writes every dx pixel as the sum of the dot products of the dy positions and filter
 * taps that reach it (`oneChannel`, `_simd_one_channel.ts`), reading dy and the filter where they lie: no
 * transposed filter, no columns, no zeroing and no col2im (XNNPACK's product with 16 columns
 * and its col2im cost several times as much). Undefined without SIMD.
 */
function oneChannel(
  backend: BackendWasm,
  dy: Info,
  filter: Info,
  g: ConvGeometry,
): Info | undefined {
  const simd = simdKernels(backend);
  if (simd === undefined) return undefined;
  const dx = backend.makeOutput([g.batch, g.inHeight, g.inWidth, 1], "float32");
  simd.oneChannel(
    address(backend, dy),
    address(backend, filter),
    address(backend, dx),
    g.batch,
    g.outHeight,
    g.outWidth,
    g.inHeight,
    g.inWidth,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.padTop,
    g.padLeft,
    g.outChannels,
  );
  return dx;
}

/**
 * Few dy positions: columns [L, kh·kw·Ci] by dot products of each row of f [kh·kw·Ci, Co] with
 * each dy position (the SIMD loop reads f once and packs nothing), then col2im (nothing to do
 * when one dy position covers the whole input). Undefined without SIMD.
 */
function rowDots(backend: BackendWasm, dy: Info, filter: Info, g: ConvGeometry): Info | undefined {
  const simd = simdKernels(backend);
  if (simd === undefined) return undefined;
  const rows = g.filterHeight * g.filterWidth * g.inChannels;
  const positions = g.batch * g.outHeight * g.outWidth;
  const columns = backend.makeOutput([positions, rows], "float32");
  simd.rowDots(
    address(backend, filter),
    address(backend, dy),
    address(backend, columns),
    rows,
    g.outChannels,
    positions,
  );
  if (coversInput(g)) {
    const dx = reshape(backend, columns, [g.batch, g.inHeight, g.inWidth, g.inChannels]);
    release(backend, columns);
    return dx;
  }
  const dx = col2im(backend, columns, g);
  release(backend, columns);
  return dx;
}

/** dx = col2im(dy [L, Co] · fᵀ [Co, kh·kw·Ci]). */
function gemm(backend: BackendWasm, dy: Info, filter: Info, g: ConvGeometry): Info {
  const f2 = reshape(backend, filter, [
    g.filterHeight * g.filterWidth * g.inChannels,
    g.outChannels,
  ]);
  const fT = transpose2d(backend, f2);
  const dy2 = reshape(backend, dy, [g.batch * g.outHeight * g.outWidth, g.outChannels]);
  const columns = matMul(backend, dy2, fT);
  release(backend, f2, fT, dy2);
  const dx = col2im(backend, columns, g);
  release(backend, columns);
  return dx;
}

/**
 * dx = col2im((f [kh·kw·Ci, Co] · dyᵀ [Co, L])ᵀ): the SIMD product reads f in place, where
 * XNNPACK's would pack dyᵀ (cheap) but run below its peak at small L.
 */
function gemmTransposed(backend: BackendWasm, dy: Info, filter: Info, g: ConvGeometry): Info {
  const rows = g.filterHeight * g.filterWidth * g.inChannels;
  const positions = g.batch * g.outHeight * g.outWidth;
  const f2 = reshape(backend, filter, [rows, g.outChannels]);
  const dy2 = reshape(backend, dy, [positions, g.outChannels]);
  const dyT = transpose2d(backend, dy2);
  const simd = simdKernels(backend);
  let columnsT: Info;
  if (simd === undefined) {
    columnsT = matMul(backend, f2, dyT);
  } else {
    columnsT = backend.makeOutput([rows, positions], "float32");
    simd.gemm(
      address(backend, filter),
      address(backend, dyT),
      address(backend, columnsT),
      rows,
      g.outChannels,
      positions,
      g.outChannels,
      1,
    );
  }
  release(backend, f2, dy2, dyT);
  if (coversInput(g)) {
    // A 1x1 dy whose kernel covers the input exactly (the decoder's first layer): col2im is
    // just the transpose [kh·kw·Ci, N] -> [N, kh, kw, Ci].
    const columns = transpose2d(backend, columnsT);
    release(backend, columnsT);
    const dx = reshape(backend, columns, [g.batch, g.inHeight, g.inWidth, g.inChannels]);
    release(backend, columns);
    return dx;
  }
  const dx = col2imTransposed(backend, columnsT, g);
  release(backend, columnsT);
  return dx;
}

/** The general case: one stride-1 XNNPACK convolution per output phase, then interleaving. */
function phases(backend: BackendWasm, dy: Info, filter: Info, g: ConvGeometry): Info {
  const ft = transpose(backend, filter, [0, 1, 3, 2]);
  const outputs: (Info | null)[] = [];
  for (let ph = 0; ph < g.strideHeight; ph++) {
    const rows = axisPhase(g.inHeight, g.outHeight, g.filterHeight, g.strideHeight, g.padTop, ph);
    for (let pw = 0; pw < g.strideWidth; pw++) {
      const cols = axisPhase(g.inWidth, g.outWidth, g.filterWidth, g.strideWidth, g.padLeft, pw);
      outputs.push(phase(backend, dy, ft, g, rows, cols));
    }
  }
  release(backend, ft);
  if (outputs.length === 1 && outputs[0] !== null) return outputs[0];
  const dx = interleavePhases(
    backend,
    outputs,
    g.strideHeight,
    g.strideWidth,
    g.batch,
    g.inHeight,
    g.inWidth,
    g.inChannels,
  );
  for (const output of outputs) if (output !== null) release(backend, output);
  return dx;
}

/** The outputs of one phase [N, rows.count, cols.count, Ci], or null when all are zero. */
function phase(
  backend: BackendWasm,
  dy: Info,
  ft: Info,
  g: ConvGeometry,
  rows: AxisPhase,
  cols: AxisPhase,
): Info | null {
  if (rows.taps === 0 || cols.taps === 0) return null;
  // Negative padding: rows of dy this phase never reaches (padding wider than the kernel).
  let input = dy;
  const top = Math.max(0, -rows.before);
  const left = Math.max(0, -cols.before);
  const bottom = Math.max(0, -rows.after);
  const right = Math.max(0, -cols.after);
  if (top + left + bottom + right > 0) {
    const height = g.outHeight - top - bottom;
    const width = g.outWidth - left - right;
    if (height <= 0 || width <= 0) return null;
    input = slice(backend, dy, [0, top, left, 0], [g.batch, height, width, g.outChannels]);
  }
  const taps = phaseFilter(
    backend,
    ft,
    rows.remainder,
    cols.remainder,
    rows.taps,
    cols.taps,
    g.strideHeight,
    g.strideWidth,
  );
  const padding: Padding4 = [
    [0, 0],
    [Math.max(0, rows.before), Math.max(0, rows.after)],
    [Math.max(0, cols.before), Math.max(0, cols.after)],
    [0, 0],
  ];
  const out = conv2d(backend, input, taps, [1, 1], padding);
  release(backend, taps);
  if (input !== dy) release(backend, input);
  return out;
}

function zeros(backend: BackendWasm, shape: number[]): Info {
  const out = backend.makeOutput(shape, "float32");
  (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
  return out;
}

/**
 * The kernel config registered by `registerWasmTrainingKernels`.
 *
 * @example
 * ```ts
 * import { conv2DBackpropInputConfig } from "./conv2d_backprop_input.ts";
 * if (conv2DBackpropInputConfig.kernelName !== "Conv2DBackpropInput") throw new Error();
 * ```
 */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: "wasm",
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};
