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
  filter?: object,
): void {
  // Small convolutions take tens of microseconds: waking threads for them costs more than it
  // saves. oneDNN fixes a primitive's thread count when it makes it, so the plan is made and its
  // convolution run on one thread; one plan per geometry and thread mode. The threshold is per
  // direction (`convolutionThreading`); today all three take the teacher's 8.4 M multiply-add
  // layers at batch 1 onto oneDNN's thread count and leave the first layer's 0.26 M on one.
  const macs = multiplyAdds(g);
  const single = runsOnOneThread(direction, g);
  // The filter's reorders (exact copies) of a small convolution stay on one thread even when the
  // convolution does not: on two they gained nothing at batch 1 (BENCHMARKS.md).
  const singleReorders = single || macs < convolutionThreading.reorderSingleThreadMacs;
  const what = `${direction} (${geometryKey(g)})`;
  const planKey = `${direction}:${geometryKey(g)}${single ? "" : ":threads"}`;
  const make = () => cache.get(planKey, () => createPlan(direction, g)) as ConvPlan;
  const plan = single ? singleThreaded(make) : make();
  let steps = plan.steps;
  let at = pointers;
  let slot: FilterSlot | undefined;
  if (plan.blockedBytes > 0) {
    // The filter in the primitive's layout: reordered once while it stays in the plan's slots.
    slot = filterSlot(plan, filter);
    if (slot.filter === filter && filter !== undefined && blockedFilterCache.enabled) {
      steps = [plan.convolution];
    }
    at = [...pointers, slot.pointer];
    slot.filter = undefined; // until the reorder has filled it
  }
  const run = (some: Step[], one: boolean) => {
    const go = () => dnnlContext().run({ ...plan, steps: some }, at, what);
    if (one) singleThreaded(go);
    else go();
  };
  const execute = (some: Step[]) => {
    if (single || !singleReorders || some.length === 1) {
      run(some, single || (singleReorders && some[0] !== plan.convolution));
      return;
    }
    for (const st of some) run([st], st !== plan.convolution);
  };
  if (convolutionProbe.record === undefined) execute(steps);
  else probeRun(direction, g, plan, steps, execute, convolutionProbe.record);
  if (slot !== undefined) slot.filter = filter;
}

/** A convolution's plan, with where its filter goes when the primitive wants it blocked. */
interface ConvPlan extends Plan {
  /** The convolution step itself (the other steps reorder the filter or its gradient). */
  convolution: Step;
  /** Bytes of the filter in the primitive's layout, for forward and data-gradient plans whose
   * filter is reordered into a buffer given per call (the plan's 4th user memory); else 0. */
  blockedBytes: number;
}

/** A filter's copy in a primitive's layout: JavaScript-owned, 64-byte aligned. */
interface FilterSlot {
  /** The `dataId` of the filter tensor whose copy it holds (undefined: none). */
  filter: object | undefined;
  buffer: Uint8Array;
  pointer: Deno.PointerValue;
}

/**
 * Each plan whose primitive wants the filter blocked keeps this many copies of filters in its
 * layout, by the filter tensor's `dataId`, the least recently used one refilled on a miss. A
 * tensor's data never changes after it is made (an optimiser step makes new weight tensors), so
 * a filter used by several calls of a step (the discriminator on real and fake images) is
 * reordered once. Four: the most distinct filters a plan of the teacher's step sees between two
 * uses of one (the two encoders' and two versions of the discriminator's). The reorder is an
 * exact copy, so results are the same with or without the copies.
 */
const FILTER_SLOTS = 4;
const filterSlots = new WeakMap<ConvPlan, FilterSlot[]>();

function filterSlot(plan: ConvPlan, filter: object | undefined): FilterSlot {
  let slots = filterSlots.get(plan);
  if (slots === undefined) filterSlots.set(plan, slots = []);
  let i = filter === undefined ? -1 : slots.findIndex((s) => s.filter === filter);
  if (i < 0) {
    if (slots.length < FILTER_SLOTS) {
      const buffer = new Uint8Array(plan.blockedBytes + 64);
      const address = Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer));
      const skip = Number((64n - BigInt(address) % 64n) % 64n);
      slots.push({
        filter: undefined,
        buffer,
        pointer: Deno.UnsafePointer.of(buffer.subarray(skip)),
      });
    }
    i = slots.length - 1; // the least recently used (or the new one)
    slots[i].filter = undefined;
  }
  const [slot] = slots.splice(i, 1);
  slots.unshift(slot); // most recently used first
  return slot;
}

/** For measurements and tests: `enabled: false` reorders the filter on every call, as before. */
export const blockedFilterCache = { enabled: true };

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
  /** Reorders run (0 when the primitive takes the filter as it is, or its copy was kept). */
  reorders: number;
  /** Whether its convolution ran on one thread ({@link convolutionThreading}). */
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
  plan: ConvPlan,
  steps: Step[],
  execute: (steps: Step[]) => void,
  record: (call: ConvolutionProbeCall) => void,
): void {
  let convolutionMs = 0;
  let reorderMs = 0;
  for (const st of steps) {
    const t0 = performance.now();
    execute([st]);
    const ms = performance.now() - t0;
    if (st === plan.convolution) convolutionMs += ms;
    else reorderMs += ms;
  }
  record({
    direction,
    key: geometryKey(g),
    implementation: plan.implementation,
    convolutionMs,
    reorderMs,
    reorders: steps.length - 1,
    singleThread: runsOnOneThread(direction, g),
  });
}

/**
 * Below this many multiply-adds the filter's reorders run on one thread (they did for every
 * convolution below it before the per-direction thresholds: the teacher's batch-1 layers).
 */
export const SINGLE_THREAD_MACS = 32e6;

/**
 * Below this many multiply-adds a convolution runs on one thread (a weight gradient only at batch
 * 1: see {@link convolutionThreading}): the teacher's first layer (0.26 M at batch 1) stays there,
 * the second and third (8.4 M) take oneDNN's thread count. Same bits either way: oneDNN splits
 * these layers' forward and data gradient over output positions and channels, and at batch 1 a
 * weight gradient over its channels (tested on the teacher's layers; the 6-step training hashes at
 * batch 1, 4, 16 and 64 are unchanged). Measured in BENCHMARKS.md (issue 29, both cores).
 */
export const SMALL_CONVOLUTION_MACS = 4e6;

/**
 * The thresholds {@link runConvolution} applies, per direction, unless a measurement changes them
 * (`bench/conv_calls.ts`: `--two-threads` sets 0 everywhere, `--one-thread` the old 32 M rule).
 * A weight gradient of more than one image keeps the 32 M rule (`weightGradientMacs`): above
 * batch 1 oneDNN may split its sum over the images between threads, which changes its order (the
 * 6-step hash at batch 64 changed when the latent layer's 26 M one went to two threads).
 */
export const convolutionThreading: {
  singleThreadMacs: Record<ConvDirection, number>;
  /** Below this, a weight gradient of batch > 1 runs on one thread. */
  weightGradientMacs: number;
  /** Below this, the filter's reorders run on one thread. */
  reorderSingleThreadMacs: number;
} = {
  singleThreadMacs: {
    forward: SMALL_CONVOLUTION_MACS,
    backwardData: SMALL_CONVOLUTION_MACS,
    backwardWeights: SMALL_CONVOLUTION_MACS,
  },
  weightGradientMacs: SINGLE_THREAD_MACS,
  reorderSingleThreadMacs: SINGLE_THREAD_MACS,
};

/** Whether {@link runConvolution} runs this convolution on one thread. */
function runsOnOneThread(direction: ConvDirection, g: ConvGeometry): boolean {
  const macs = multiplyAdds(g);
  if (direction === "backwardWeights" && g.batch > 1) {
    return macs < Math.max(
      convolutionThreading.singleThreadMacs.backwardWeights,
      convolutionThreading.weightGradientMacs,
    );
  }
  return macs < convolutionThreading.singleThreadMacs[direction];
}

/** Multiply-adds of a convolution (any direction: the same products). */
function multiplyAdds(g: ConvGeometry): number {
  return g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth *
    g.inChannels;
}

function createPlan(direction: ConvDirection, g: ConvGeometry): ConvPlan {
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
  // reorders fill (given per call: `runConvolution`'s copies) or empty (the library's own).
  const blocked = !plain && direction !== "backwardWeights";
  const weightsMem = plain
    ? userWeightsMem
    : c.memory(chosenWeights, blocked ? null : MEMORY_ALLOCATE);
  const blockedBytes = blocked ? Number(s.dnnl_memory_desc_get_size(chosenWeights)) : 0;
  const toBlocked = () => c.reorder(userWeightsPtr, userWeightsMem, chosenWeights, weightsMem);

  const steps: Step[] = [];
  let user: Deno.PointerValue[];
  let main: Step;
  if (direction === "forward") {
    if (!plain) steps.push(toBlocked());
    steps.push(
      main = step(convolution, [
        [DNNL.argSrc, srcMem],
        [DNNL.argWeights, weightsMem],
        [DNNL.argDst, dstMem],
      ]),
    );
    user = [srcMem, userWeightsMem, dstMem];
  } else if (direction === "backwardData") {
    if (!plain) steps.push(toBlocked());
    steps.push(
      main = step(convolution, [
        [DNNL.argDiffDst, dstMem],
        [DNNL.argWeights, weightsMem],
        [DNNL.argDiffSrc, srcMem],
      ]),
    );
    user = [dstMem, userWeightsMem, srcMem];
  } else {
    steps.push(
      main = step(convolution, [
        [DNNL.argSrc, srcMem],
        [DNNL.argDiffDst, dstMem],
        [DNNL.argDiffWeights, weightsMem],
      ]),
    );
    if (!plain) steps.push(c.reorder(chosenWeights, weightsMem, userWeightsPtr, userWeightsMem));
    user = [srcMem, dstMem, userWeightsMem];
  }
  if (blocked) user.push(weightsMem);
  if (pd !== forwardPd) s.dnnl_primitive_desc_destroy(forwardPd);
  return { user, steps, implementation, convolution: main, blockedBytes };
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
