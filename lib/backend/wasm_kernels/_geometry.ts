/**
 * Index arithmetic shared by the wasm training kernels: the padding a convolution used, and how a
 * strided transposed convolution splits into `stride²` stride-1 convolutions ("phases").
 *
 * @module
 */

import * as tf from "../../tf.ts";

/**
 * Where the kernels use the SIMD matrix product of `_simd.ts` (no XNNPACK operator, so no
 * repacking of weights that are new tensors after every optimiser step) rather than XNNPACK,
 * by the number of output positions L = N·Ho·Wo of the forward convolution. Measured on the
 * teacher's layers with new tensors on every call (BENCHMARKS.md); tests set them to 0 to reach
 * the XNNPACK paths too.
 */
export const gemmLimits = {
  /** `Conv2D`: up to this L (or with kh·kw·Ci up to {@link gemmLimits.convColumns}). */
  convPositions: 1024,
  /** `Conv2D`: any L when a row of im2col is this short (XNNPACK runs few inputs slowly). */
  convColumns: 64,
  /** `Conv2DBackpropInput`: up to this L (beyond, its col2im costs more than XNNPACK's phases). */
  inputGradientPositions: 512,
  /** `Conv2DBackpropFilter`: up to this L, whatever the batch. */
  filterGradientTerms: 128,
};

/** The geometry of one NHWC convolution x [N,H,W,Ci] * f [kh,kw,Ci,Co] -> y [N,Ho,Wo,Co]. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** Attributes common to both backprop kernels. */
export interface BackpropAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** The geometry of the NHWC forward convolution whose gradient a backprop kernel computes. */
export function convGeometry(
  inShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: BackpropAttrs,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Whether a single output position's kernel covers the whole unpadded input (the encoders' last
 * layer; for a transposed convolution, the decoder's first): im2col of the input is the input
 * itself, and col2im of one column row is a reshape.
 */
export function coversInput(g: ConvGeometry): boolean {
  return g.outHeight === 1 && g.outWidth === 1 && g.padTop === 0 && g.padLeft === 0 &&
    g.inHeight === g.filterHeight && g.inWidth === g.filterWidth;
}

/**
 * One output phase of one spatial axis of a transposed convolution (the input gradient).
 *
 * The output rows h ≡ `phase` (mod s), h = q·s + phase, receive dy[q + c - m]·f[r + m·s] for
 * m = 0..taps-1, where phase + padBefore = c·s + r: a stride-1 correlation of dy, padded by
 * `before`/`after`, with the phase's flipped taps f[r + (taps-1-t)·s], t = 0..taps-1.
 */
export interface AxisPhase {
  /** Output rows in this phase. */
  count: number;
  /** Filter row of the phase's first tap (r). */
  remainder: number;
  /** Filter taps of the phase (0 when the kernel is shorter than the stride). */
  taps: number;
  /** Zero rows before dy (negative: leading rows of dy no output of the phase reaches). */
  before: number;
  /** Zero rows after dy (negative: trailing rows of dy no output of the phase reaches). */
  after: number;
}

/** Plans one output phase of one axis; see {@link AxisPhase}. */
export function axisPhase(
  inSize: number,
  outSize: number,
  kernel: number,
  stride: number,
  padBefore: number,
  phase: number,
): AxisPhase {
  const count = Math.max(0, Math.ceil((inSize - phase) / stride));
  const shifted = phase + padBefore;
  const remainder = shifted % stride;
  const blockShift = (shifted - remainder) / stride;
  const taps = remainder < kernel ? Math.ceil((kernel - remainder) / stride) : 0;
  const before = taps - 1 - blockShift;
  const after = count + taps - 1 - before - outSize;
  return { count, remainder, taps, before, after };
}
