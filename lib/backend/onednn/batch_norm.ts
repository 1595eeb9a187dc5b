/**
 * oneDNN batch normalisation in training mode (batch statistics) followed by the activation of
 * EDE-GAN's blocks (LeakyReLU, ReLU or none), forward and backward, over raw pointers. One call
 * runs what tfjs does in ~10 kernels forward (`moments`, `batchNorm`, `leakyRelu`) and ~25
 * backward, on one thread (see `singleThreaded`).
 *
 * Forward: z = γ·(x - μ)/√(σ² + ε) + β with μ, σ² the (biased) statistics of x over N, H, W, then
 * y = act(z), in place on y. Backward: dz from dy and y (the activation's gradient reads its
 * output: LeakyReLU and ReLU keep the sign), then dx, dγ, dβ from x, μ, σ², γ and dz.
 *
 * Source: Ioffe & Szegedy 2015 (batch normalisation); oneDNN 2.6 C API,
 * `dnnl_batch_normalization_{forward,backward}_desc_init` with `dnnl_use_scale | dnnl_use_shift`
 * and `dnnl_eltwise_{forward,backward}_desc_init` with `dnnl_eltwise_relu_use_dst_for_bwd`.
 *
 * @module
 */

import { check, DNNL, MEMORY_ALLOCATE, OP_DESC_BYTES } from "./_ffi.ts";
import { singleThreaded } from "./threads.ts";
import { dnnlContext, type Plan, PlanCache, type Step, step } from "./_context.ts";

/** The activation after the normalisation. */
export type BlockActivation = "leakyRelu" | "relu" | "none";

/** Shape and constants of one normalisation: x [N, H, W, C]. */
export interface BatchNormShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
  epsilon: number;
  activation: BlockActivation;
  /** The negative slope of LeakyReLU (ignored otherwise). */
  alpha: number;
}

const cache = new PlanCache();

function key(s: BatchNormShape, direction: string): string {
  return `${direction}:${s.batch}x${s.height}x${s.width}x${s.channels}:${s.epsilon}:` +
    `${s.activation}:${s.alpha}`;
}

/**
 * Forward: pointers to x, γ, β (inputs) and y, μ, σ² (outputs, float32, NHWC / [C]).
 *
 * @example
 * ```ts
 * import { batchNormForward } from "./batch_norm.ts";
 * const s = { batch: 2, height: 1, width: 1, channels: 1, epsilon: 0, activation: "none", alpha: 0 } as const;
 * const a = [[1, 3], [1], [0], [0, 0], [0], [0]].map((v) => new Float32Array(v));
 * batchNormForward(s, a.map((v) => Deno.UnsafePointer.of(v)));
 * if (a[3][0] !== -1 || a[3][1] !== 1 || a[4][0] !== 2 || a[5][0] !== 1) throw new Error();
 * ```
 */
export function batchNormForward(s: BatchNormShape, pointers: Deno.PointerValue[]): void {
  // Made and run on one thread: oneDNN fixes a primitive's thread count when it makes it.
  singleThreaded(() => {
    const plan = cache.get(key(s, "forward"), () => plans(s).forward);
    dnnlContext().run(plan, pointers, "batch normalisation forward");
  });
}

/**
 * Backward: pointers to x, γ, β, μ, σ², y, dy (inputs) and dx, dγ, dβ (outputs).
 */
export function batchNormBackward(s: BatchNormShape, pointers: Deno.PointerValue[]): void {
  singleThreaded(() => {
    const plan = cache.get(key(s, "backward"), () => plans(s).backward);
    dnnlContext().run(plan, pointers, "batch normalisation backward");
  });
}

/** Builds both plans of a shape (the backward primitives need the forward ones as hints). */
function plans(s: BatchNormShape): { forward: Plan; backward: Plan } {
  const existing = cache.plans.get(key(s, "forward"));
  const backwardExisting = cache.plans.get(key(s, "backward"));
  if (existing && backwardExisting) return { forward: existing, backward: backwardExisting };
  const c = dnnlContext();
  const f = c.lib.symbols;
  const what = `batch normalisation (${key(s, "")})`;
  const data = c.md([s.batch, s.channels, s.height, s.width], DNNL.nhwc);
  const vector = c.md([s.channels], DNNL.vector);
  const flags = DNNL.useScale | DNNL.useShift;

  const bnForwardDesc = new Uint8Array(OP_DESC_BYTES);
  check(
    f.dnnl_batch_normalization_forward_desc_init(
      bnForwardDesc,
      DNNL.forwardTraining,
      data,
      s.epsilon,
      flags,
    ),
    `dnnl_batch_normalization_forward_desc_init ${what}`,
  );
  const bnForwardPd = c.primitiveDesc(bnForwardDesc, null, what);
  const bnBackwardDesc = new Uint8Array(OP_DESC_BYTES);
  check(
    f.dnnl_batch_normalization_backward_desc_init(
      bnBackwardDesc,
      DNNL.backward,
      data,
      data,
      s.epsilon,
      flags,
    ),
    `dnnl_batch_normalization_backward_desc_init ${what}`,
  );
  const bnBackwardPd = c.primitiveDesc(bnBackwardDesc, bnForwardPd, what);

  const mem = () => c.memory(data, null);
  const vec = () => c.memory(vector, null);
  const [x, y, dy, dx] = [mem(), mem(), mem(), mem()];
  const [gamma, beta, mean, variance, dgamma, dbeta] = [vec(), vec(), vec(), vec(), vec(), vec()];

  const forwardSteps: Step[] = [step(c.primitive(bnForwardPd, what), [
    [DNNL.argSrc, x],
    [DNNL.argScale, gamma],
    [DNNL.argShift, beta],
    [DNNL.argDst, y],
    [DNNL.argMean, mean],
    [DNNL.argVariance, variance],
  ])];
  const backwardSteps: Step[] = [];
  let diffZ = dy;
  if (s.activation !== "none") {
    const alpha = s.activation === "leakyRelu" ? s.alpha : 0;
    const { forwardPd: eltForwardPd, backwardPd: eltBackwardPd } = eltwiseDescs(data, alpha, what);
    forwardSteps.push(step(c.primitive(eltForwardPd, what), [[DNNL.argSrc, y], [DNNL.argDst, y]]));
    // dz in a buffer of the library's: oneDNN 2.6's batch normalisation refuses to run its
    // backward pass in place (diff_dst = diff_src).
    diffZ = c.memory(data, MEMORY_ALLOCATE);
    backwardSteps.push(step(c.primitive(eltBackwardPd, what), [
      [DNNL.argDiffDst, dy],
      [DNNL.argDst, y],
      [DNNL.argDiffSrc, diffZ],
    ]));
  }
  backwardSteps.push(step(c.primitive(bnBackwardPd, what), [
    [DNNL.argSrc, x],
    [DNNL.argMean, mean],
    [DNNL.argVariance, variance],
    [DNNL.argScale, gamma],
    // oneDNN 2.6 asks for the shift too, though the gradient does not depend on it
    [DNNL.argShift, beta],
    [DNNL.argDiffDst, diffZ],
    [DNNL.argDiffSrc, dx],
    [DNNL.argDiffScale, dgamma],
    [DNNL.argDiffShift, dbeta],
  ]));
  const implementation = c.implementation(bnForwardPd);
  const forward = {
    user: [x, gamma, beta, y, mean, variance],
    steps: forwardSteps,
    implementation,
  };
  const backward = {
    user: [x, gamma, beta, mean, variance, y, dy, dx, dgamma, dbeta],
    steps: backwardSteps,
    implementation: c.implementation(bnBackwardPd),
  };
  cache.plans.set(key(s, "forward"), forward);
  cache.plans.set(key(s, "backward"), backward);
  return { forward, backward };
}

/** Shape and constants of an activation alone (a block without normalisation). */
export interface ActivationShape {
  size: number;
  activation: "leakyRelu" | "relu";
  alpha: number;
}

const activationCache = new PlanCache();

/**
 * An activation without normalisation (the first block of each encoder): forward x -> y
 * (pointers x, y), backward dy, y -> dx (pointers y, dy, dx), as one oneDNN eltwise pass each.
 *
 * @example
 * ```ts
 * import { activationForward } from "./batch_norm.ts";
 * const [x, y] = [new Float32Array([-1, 2]), new Float32Array(2)];
 * activationForward({ size: 2, activation: "leakyRelu", alpha: 0.2 }, "forward", [x, y].map((a) => Deno.UnsafePointer.of(a)));
 * if (Math.abs(y[0] + 0.2) > 1e-7 || y[1] !== 2) throw new Error(String(y));
 * ```
 */
export function activationForward(
  s: ActivationShape,
  direction: "forward" | "backward",
  pointers: Deno.PointerValue[],
): void {
  singleThreaded(() => {
    const k = `${direction}:${s.size}:${s.activation}:${s.alpha}`;
    const plan = activationCache.get(k, () => activationPlans(s)[direction]);
    dnnlContext().run(plan, pointers, `activation ${direction}`);
  });
}

function activationPlans(s: ActivationShape): { forward: Plan; backward: Plan } {
  const c = dnnlContext();
  const what = `activation (${s.size} ${s.activation})`;
  const data = c.md([s.size], DNNL.vector);
  const alpha = s.activation === "leakyRelu" ? s.alpha : 0;
  const { forwardPd, backwardPd } = eltwiseDescs(data, alpha, what);
  const [x, y, dy, dx] = [0, 0, 0, 0].map(() => c.memory(data, null));
  const forward = {
    user: [x, y],
    steps: [step(c.primitive(forwardPd, what), [[DNNL.argSrc, x], [DNNL.argDst, y]])],
    implementation: c.implementation(forwardPd),
  };
  const backward = {
    user: [y, dy, dx],
    steps: [step(c.primitive(backwardPd, what), [
      [DNNL.argDiffDst, dy],
      [DNNL.argDst, y],
      [DNNL.argDiffSrc, dx],
    ])],
    implementation: c.implementation(backwardPd),
  };
  const base = `${s.size}:${s.activation}:${s.alpha}`;
  activationCache.plans.set(`forward:${base}`, forward);
  activationCache.plans.set(`backward:${base}`, backward);
  return { forward, backward };
}

/** The forward and backward primitive descriptors of (leaky) ReLU whose gradient reads y. */
function eltwiseDescs(
  data: Uint8Array<ArrayBuffer>,
  alpha: number,
  what: string,
): { forwardPd: Deno.PointerValue; backwardPd: Deno.PointerValue } {
  const c = dnnlContext();
  const f = c.lib.symbols;
  const forwardDesc = new Uint8Array(OP_DESC_BYTES);
  check(
    f.dnnl_eltwise_forward_desc_init(
      forwardDesc,
      DNNL.forwardTraining,
      DNNL.eltwiseReluUseDst,
      data,
      alpha,
      0,
    ),
    `dnnl_eltwise_forward_desc_init ${what}`,
  );
  const forwardPd = c.primitiveDesc(forwardDesc, null, what);
  const backwardDesc = new Uint8Array(OP_DESC_BYTES);
  check(
    f.dnnl_eltwise_backward_desc_init(backwardDesc, DNNL.eltwiseReluUseDst, data, data, alpha, 0),
    `dnnl_eltwise_backward_desc_init ${what}`,
  );
  return { forwardPd, backwardPd: c.primitiveDesc(backwardDesc, forwardPd, what) };
}
