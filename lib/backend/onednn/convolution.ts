/**
 * oneDNN convolution primitives over raw pointers: the forward convolution and its data and weight
 * gradients, in tfjs's layouts (activations NHWC, filters HWIO [kh, kw, Ci, Co]), float32, no
 * bias, no dilation. Primitives are created once per geometry and reused: creating one costs
 * milliseconds (JIT code generation), running one on the teacher's layers tens of microseconds.
 *
 * Activations are passed in place (NHWC is a layout oneDNN's AVX-512/AVX2 convolutions run on
 * directly). The filter is not: with a plain HWIO filter oneDNN falls back to its im2col+GEMM
 * convolution, 2-4x slower on these layers than the direct (`brgconv`/`jit`) kernels that want a
 * blocked filter, so the filter is reordered into the primitive's own layout (and the weight
 * gradient back out of it), which costs a copy of the filter per call: small beside the
 * convolution (the teacher's largest filter is 2 MB).
 *
 * The transposed convolution of the decoder is the data gradient of a forward convolution (tfjs
 * computes `conv2dTranspose` with `Conv2DBackpropInput`), so these three cover every convolution
 * of EDE-GAN's training step.
 *
 * Source: oneDNN 2.6 C API, `dnnl_convolution_{forward,backward_data,backward_weights}_desc_init`
 * and `dnnl_reorder_primitive_desc_create` (https://oneapi-src.github.io/oneDNN/v2.6/).
 *
 * @module
 */

import type { ConvGeometry } from "../wasm_kernels/_geometry.ts";
import { check, dims, DNNL, MEMORY_ALLOCATE, OP_DESC_BYTES } from "./_ffi.ts";
import { dnnlContext, type Plan, PlanCache, type Step, step } from "./_context.ts";
import { singleThreaded } from "./threads.ts";

/** Which convolution: y = x * f, dx from dy and f, or df from x and dy. */
export type ConvDirection = "forward" | "backwardData" | "backwardWeights";

const cache = new PlanCache();

/**
 * Runs a convolution on the given addresses: forward (x, f, y), backwardData (dy, f, dx),
 * backwardWeights (x, dy, df). Synchronous: the output is written when it returns. Throws a
 * `DnnlError` naming the call and the geometry when oneDNN refuses it.
 *
 * @example
 * ```ts
 * import { runConvolution } from "./convolution.ts";
 * import { convGeometry } from "../wasm_kernels/_geometry.ts";
 * const g = convGeometry([1, 8, 8, 2], [3, 3, 2, 4], { strides: 1, pad: "same" });
 * const [x, f, y] = [new Float32Array(128).fill(1), new Float32Array(72).fill(1), new Float32Array(256)];
 * runConvolution("forward", g, [x, f, y].map((a) => Deno.UnsafePointer.of(a)));
 * if (y[9 * 4] !== 18) throw new Error(); // an inner position sums 3·3·2 ones
 * ```
 */
export function runConvolution(
  direction: ConvDirection,
  g: ConvGeometry,
  pointers: Deno.PointerValue[],
): void {
  const single = multiplyAdds(g) < convolutionThreading.singleThreadMacs;
  const run = () => {
    // A plan's thread count is fixed when it is made: one plan per geometry and thread mode.
    const planKey = `${direction}:${geometryKey(g)}${single ? "" : ":threads"}`;
    const plan = cache.get(planKey, () => createPlan(direction, g));
    if (convolutionProbe.record === undefined) {
      dnnlContext().run(plan, pointers, `${direction} (${geometryKey(g)})`);
    } else probeRun(direction, g, plan, pointers, convolutionProbe.record);
  };
  // Small convolutions (batch 1) take tens of microseconds: waking threads for them costs more
  // than it saves. oneDNN fixes a primitive's thread count when it makes it, so the plan is made
  // and run on one thread.
  if (single) singleThreaded(run);
  else run();
}

/** One oneDNN convolution call as {@link convolutionProbe} sees it. */
export interface ConvolutionProbeCall {
  direction: ConvDirection;
  /** {@link geometryKey} of the call. */
  key: string;
  /** oneDNN's implementation (e.g. `brgconv:avx512_core`). */
  implementation: string;
  /** Wall milliseconds of the convolution primitive alone. */
  convolutionMs: number;
  /** Wall milliseconds of the filter's (or its gradient's) reorder; 0 when there is none. */
  reorderMs: number;
  /** Whether it ran on one thread ({@link SINGLE_THREAD_MACS}). */
  singleThread: boolean;
}

/**
 * For measurements only (`lib/bench/conv_calls.ts`): while `record` is set, each call's steps
 * (the filter's reorder, the convolution) run and are timed one by one and reported to it. The
 * same primitives on the same data, so the results are the same.
 */
export const convolutionProbe: { record?: (call: ConvolutionProbeCall) => void } = {};

function probeRun(
  direction: ConvDirection,
  g: ConvGeometry,
  plan: Plan,
  pointers: Deno.PointerValue[],
  record: (call: ConvolutionProbeCall) => void,
): void {
  const key = geometryKey(g);
  // The convolution is the reorder-free step: the first one of a backward-weights plan, the last
  // one of the others.
  const convAt = direction === "backwardWeights" ? 0 : plan.steps.length - 1;
  let convolutionMs = 0;
  let reorderMs = 0;
  plan.steps.forEach((st, i) => {
    const t0 = performance.now();
    dnnlContext().run({ ...plan, steps: [st] }, pointers, `${direction} (${key})`);
    const ms = performance.now() - t0;
    if (i === convAt) convolutionMs += ms;
    else reorderMs += ms;
  });
  record({
    direction,
    key,
    implementation: plan.implementation,
    convolutionMs,
    reorderMs,
    singleThread: multiplyAdds(g) < convolutionThreading.singleThreadMacs,
  });
}

/** Below this many multiply-adds a convolution runs on one thread (the teacher's batch-1 layers). */
export const SINGLE_THREAD_MACS = 32e6;

/**
 * The threshold {@link runConvolution} applies, {@link SINGLE_THREAD_MACS} unless a measurement
 * changes it (`lib/bench/conv_calls.ts` sets 0 to run every call on oneDNN's thread count).
 */
export const convolutionThreading = { singleThreadMacs: SINGLE_THREAD_MACS };

/** Multiply-adds of a convolution (any direction: the same products). */
function multiplyAdds(g: ConvGeometry): number {
  return g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth *
    g.inChannels;
}

function createPlan(direction: ConvDirection, g: ConvGeometry): Plan {
  const c = dnnlContext();
  const s = c.lib.symbols;
  const what = `${direction} (${geometryKey(g)})`;
  const weightDims = [g.outChannels, g.inChannels, g.filterHeight, g.filterWidth];
  const src = c.md([g.batch, g.inChannels, g.inHeight, g.inWidth], DNNL.nhwc);
  const dst = c.md([g.batch, g.outChannels, g.outHeight, g.outWidth], DNNL.nhwc);
  const userWeights = c.md(weightDims, DNNL.hwio);
  const anyWeights = c.md(weightDims, DNNL.any);
  const strides = dims([g.strideHeight, g.strideWidth]);
  const padL = dims([g.padTop, g.padLeft]);
  const padR = dims([padAfter(g, "height"), padAfter(g, "width")]);

  const forwardDesc = new Uint8Array(OP_DESC_BYTES);
  check(
    s.dnnl_convolution_forward_desc_init(
      forwardDesc,
      DNNL.forwardTraining,
      DNNL.convolutionDirect,
      src,
      anyWeights,
      null,
      dst,
      strides,
      padL,
      padR,
    ),
    `dnnl_convolution_forward_desc_init ${what}`,
  );
  const forwardPd = c.primitiveDesc(forwardDesc, null, what);
  let pd = forwardPd;
  if (direction !== "forward") {
    const desc = new Uint8Array(OP_DESC_BYTES);
    const status = direction === "backwardData"
      ? s.dnnl_convolution_backward_data_desc_init(
        desc,
        DNNL.convolutionDirect,
        src,
        anyWeights,
        dst,
        strides,
        padL,
        padR,
      )
      : s.dnnl_convolution_backward_weights_desc_init(
        desc,
        DNNL.convolutionDirect,
        src,
        anyWeights,
        null,
        dst,
        strides,
        padL,
        padR,
      );
    check(status, `dnnl_convolution_${direction}_desc_init ${what}`);
    pd = c.primitiveDesc(desc, forwardPd, what);
  }
  const implementation = c.implementation(pd);
  const convolution = c.primitive(pd, what);
  const weightQuery = direction === "backwardWeights"
    ? DNNL.queryDiffWeightsMd
    : DNNL.queryWeightsMd;
  // Owned by `pd`, which the plan keeps for the life of the process.
  const chosenWeights = s.dnnl_primitive_desc_query_md(pd, weightQuery, 0);
  const userWeightsPtr = Deno.UnsafePointer.of(userWeights);
  const plain = s.dnnl_memory_desc_equal(chosenWeights, userWeightsPtr) !== 0;

  const srcMem = c.memory(src, null);
  const dstMem = c.memory(dst, null);
  const userWeightsMem = c.memory(userWeights, null);
  // The primitive's own weights: the caller's memory when the layouts agree, else a buffer the
  // library allocates and the reorders fill or empty.
  const weightsMem = plain ? userWeightsMem : c.memory(chosenWeights, MEMORY_ALLOCATE);
  const toBlocked = () => c.reorder(userWeightsPtr, userWeightsMem, chosenWeights, weightsMem);

  const steps: Step[] = [];
  let user: Deno.PointerValue[];
  if (direction === "forward") {
    if (!plain) steps.push(toBlocked());
    steps.push(step(convolution, [
      [DNNL.argSrc, srcMem],
      [DNNL.argWeights, weightsMem],
      [DNNL.argDst, dstMem],
    ]));
    user = [srcMem, userWeightsMem, dstMem];
  } else if (direction === "backwardData") {
    if (!plain) steps.push(toBlocked());
    steps.push(step(convolution, [
      [DNNL.argDiffDst, dstMem],
      [DNNL.argWeights, weightsMem],
      [DNNL.argDiffSrc, srcMem],
    ]));
    user = [dstMem, userWeightsMem, srcMem];
  } else {
    steps.push(step(convolution, [
      [DNNL.argSrc, srcMem],
      [DNNL.argDiffDst, dstMem],
      [DNNL.argDiffWeights, weightsMem],
    ]));
    if (!plain) steps.push(c.reorder(chosenWeights, weightsMem, userWeightsPtr, userWeightsMem));
    user = [srcMem, dstMem, userWeightsMem];
  }
  if (pd !== forwardPd) s.dnnl_primitive_desc_destroy(forwardPd);
  return { user, steps, implementation };
}

/** The padding after the input on one axis that makes oneDNN's size rule give tfjs's output. */
function padAfter(g: ConvGeometry, axis: "height" | "width"): number {
  const [inSize, outSize, kernel, stride, before] = axis === "height"
    ? [g.inHeight, g.outHeight, g.filterHeight, g.strideHeight, g.padTop]
    : [g.inWidth, g.outWidth, g.filterWidth, g.strideWidth, g.padLeft];
  return Math.max(0, (outSize - 1) * stride + kernel - inSize - before);
}

/**
 * A string naming a geometry, the cache key of its primitives.
 *
 * @example
 * ```ts
 * import { geometryKey } from "./convolution.ts";
 * import { convGeometry } from "../wasm_kernels/_geometry.ts";
 * const g = convGeometry([1, 32, 32, 1], [4, 4, 1, 64], { strides: 2, pad: "same" });
 * if (geometryKey(g) !== "1x32x32x1>16x16x64k4x4s2x2p1x1") throw new Error(geometryKey(g));
 * ```
 */
export function geometryKey(g: ConvGeometry): string {
  return `${g.batch}x${g.inHeight}x${g.inWidth}x${g.inChannels}` +
    `>${g.outHeight}x${g.outWidth}x${g.outChannels}` +
    `k${g.filterHeight}x${g.filterWidth}s${g.strideHeight}x${g.strideWidth}` +
    `p${g.padTop}x${g.padLeft}`;
}

/**
 * What the cache holds: how many convolutions were planned, and the implementations oneDNN chose.
 *
 * @example
 * ```ts
 * import { primitiveCacheSummary } from "./convolution.ts";
 * const { count, implementations } = primitiveCacheSummary();
 * console.log(count, implementations); // e.g. 9 [ "brgconv:avx512_core", "jit:avx512_core" ]
 * ```
 */
export function primitiveCacheSummary(): { count: number; implementations: string[] } {
  const names = new Set([...cache.plans.values()].map((x) => x.implementation));
  return { count: cache.plans.size, implementations: [...names].sort() };
}
