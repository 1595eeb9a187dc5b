/**
 * `EdeganGeneratorLoss` and its gradient: the generator's three losses and their weighted sum
 * (the op: `lib/ops/generator_loss.ts`) in one kernel call each way, where tfjs's ops took 31
 * kernel calls a step. The same float32 operations in the same order as the kernels they replace
 * (`SquaredDifference`, `Sub`, `Abs`, `Mean`, `Multiply`, `AddN` and their gradients): each
 * difference, square, product and quotient rounded to float32 (`Math.fround` of the double
 * result of two float32 values), each mean's sum left to right as the wasm `Mean` kernel adds,
 * the total ((adversarial + contextual) + latent) as `AddN` adds, and a weight of 1 multiplying
 * nothing (as the op's tfjs path). Tests compare both ways bit for bit.
 *
 * @module
 */

import type * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Info } from "./_ops.ts";
import {
  GENERATOR_LOSS,
  GENERATOR_LOSS_GRAD,
  type GeneratorLossAttrs,
} from "../../ops/kernel_names.ts";

const f32 = Math.fround;

/** The inputs in the order of the gradient kernel's outputs. */
const INPUTS = ["featuresReal", "featuresFake", "x", "xHat", "z", "zHat"] as const;

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: GeneratorLossAttrs };

function views(args: Args, kernel: string): Float32Array[] {
  const { inputs, backend } = args;
  const pairs = INPUTS.map((name) => {
    const info = inputs[name] as Info | undefined;
    if (info === undefined || info.dtype !== "float32") {
      throw new Error(`${kernel}: expected float32 input '${name}'`);
    }
    return info;
  });
  for (let k = 0; k < 6; k += 2) {
    if (pairs[k].shape.join() !== pairs[k + 1].shape.join()) {
      throw new Error(
        `${kernel}: '${INPUTS[k]}' [${pairs[k].shape}] and '${INPUTS[k + 1]}' ` +
          `[${pairs[k + 1].shape}] differ in shape`,
      );
    }
  }
  return pairs.map((info) => backend.typedArrayFromHeap(info) as Float32Array);
}

/** A term times its weight as `tf.mul(term, weight)` rounds it; weight 1: the term. */
function weighted(term: number, weight: number): number {
  return weight === 1 ? term : f32(term * f32(weight));
}

/** mean((a - b)²), or mean(|a - b|) when `absolute`. */
function meanOf(a: Float32Array, b: Float32Array, absolute: boolean): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = f32(a[i] - b[i]);
    sum = f32(sum + (absolute ? Math.abs(d) : f32(d * d)));
  }
  return f32(sum / a.length);
}

function scalar(backend: BackendWasm, value: number): Info {
  const out = backend.makeOutput([], "float32");
  (backend.typedArrayFromHeap(out) as Float32Array)[0] = value;
  return out;
}

/**
 * The forward kernel: [total, adversarial, contextual, latent].
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { assertEquals } from "@std/assert";
 * import { registerKernels } from "../kernels.ts";
 * await tf.setBackend("wasm");
 * registerKernels("wasm");
 * const zero = tf.zeros([1, 2]), one = tf.ones([1, 2]);
 * const out = tf.engine().runKernel("EdeganGeneratorLoss",
 *   { featuresReal: zero, featuresFake: one, x: zero, xHat: one, z: zero, zHat: one },
 *   { adversarial: 1, contextual: 50, latent: 2 }) as tf.Tensor[];
 * assertEquals(out.map((t) => t.dataSync()[0]), [53, 1, 50, 2]);
 * ```
 */
export function generatorLoss(args: Args): Info[] {
  const [fr, ff, x, xHat, z, zHat] = views(args, GENERATOR_LOSS);
  const { adversarial: wAdv, contextual: wCon, latent: wLat } = args.attrs;
  const adversarial = weighted(meanOf(fr, ff, false), wAdv);
  const contextual = weighted(meanOf(x, xHat, true), wCon);
  const latent = weighted(meanOf(z, zHat, false), wLat);
  const total = f32(f32(adversarial + contextual) + latent);
  return [total, adversarial, contextual, latent].map((v) => scalar(args.backend, v));
}

/** d/da and d/db of w·mean((a - b)²) (inputs `ia`, `ia + 1`) given g, its gradient, as tfjs's
 * gradients round them. */
function squaredGradients(args: Args, ia: number, g: number): [Info, Info] {
  const { backend } = args;
  const shape = (args.inputs[INPUTS[ia]] as Info).shape;
  const da = backend.makeOutput(shape, "float32");
  const db = backend.makeOutput(shape, "float32");
  const v = views(args, GENERATOR_LOSS_GRAD);
  const [a, b] = [v[ia], v[ia + 1]];
  const [outA, outB] = [da, db].map((i) => backend.typedArrayFromHeap(i) as Float32Array);
  const each = f32(g / a.length);
  for (let i = 0; i < a.length; i++) {
    outA[i] = f32(each * f32(2 * f32(a[i] - b[i])));
    outB[i] = f32(each * f32(2 * f32(b[i] - a[i])));
  }
  return [da, db];
}

/**
 * The gradient kernel: the gradients of the total with respect to featuresReal, featuresFake,
 * x, xHat, z and zHat, given dy.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { assertEquals } from "@std/assert";
 * import { registerKernels } from "../kernels.ts";
 * await tf.setBackend("wasm");
 * registerKernels("wasm");
 * const zero = tf.zeros([1, 2]), one = tf.ones([1, 2]);
 * const grads = tf.engine().runKernel("EdeganGeneratorLossGrad",
 *   { featuresReal: zero, featuresFake: one, x: zero, xHat: one, z: zero, zHat: one,
 *     dy: tf.scalar(1) },
 *   { adversarial: 1, contextual: 50, latent: 2 }) as tf.Tensor[];
 * assertEquals(Array.from(grads[3].dataSync()), [25, 25]); // d/dxHat of 50·mean|x - xHat|
 * ```
 */
export function generatorLossGrad(args: Args): Info[] {
  const { backend, attrs } = args;
  const dyInfo = args.inputs.dy as Info | undefined;
  if (dyInfo === undefined || dyInfo.dtype !== "float32") {
    throw new Error(`${GENERATOR_LOSS_GRAD}: expected float32 input 'dy'`);
  }
  const dy = (backend.typedArrayFromHeap(dyInfo) as Float32Array)[0];
  // AddN hands dy to each term; a weighted term's Multiply scales it.
  const gTerm = (w: number) => (w === 1 ? dy : f32(dy * f32(w)));
  const [dFeaturesReal, dFeaturesFake] = squaredGradients(args, 0, gTerm(attrs.adversarial));
  const dx = backend.makeOutput((args.inputs.x as Info).shape, "float32");
  const dxHat = backend.makeOutput((args.inputs.xHat as Info).shape, "float32");
  // Views after the allocations (makeOutput may move the heap).
  const v = views(args, GENERATOR_LOSS_GRAD);
  const [outX, outXHat] = [dx, dxHat].map((i) => backend.typedArrayFromHeap(i) as Float32Array);
  const each = f32(gTerm(attrs.contextual) / v[2].length);
  for (let i = 0; i < v[2].length; i++) {
    const d = f32(v[2][i] - v[3][i]);
    // Abs's gradient: dy·step(d, -1) (1 above zero, -1 at or below, NaN for NaN); Sub's: ±.
    const dAbs = f32(each * (d > 0 ? 1 : d <= 0 ? -1 : d));
    outX[i] = dAbs;
    outXHat[i] = -dAbs;
  }
  const [dz, dzHat] = squaredGradients(args, 4, gTerm(attrs.latent));
  return [dFeaturesReal, dFeaturesFake, dx, dxHat, dz, dzHat];
}

/**
 * The kernel configs registered on the wasm backend (`../kernels.ts`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generatorLossConfigs } from "./generator_loss.ts";
 * assertEquals(generatorLossConfigs.map((c) => c.kernelName),
 *   ["EdeganGeneratorLoss", "EdeganGeneratorLossGrad"]);
 * ```
 */
export const generatorLossConfigs: tf.KernelConfig[] = [
  {
    kernelName: GENERATOR_LOSS,
    backendName: "wasm",
    kernelFunc: generatorLoss as unknown as tf.KernelFunc,
  },
  {
    kernelName: GENERATOR_LOSS_GRAD,
    backendName: "wasm",
    kernelFunc: generatorLossGrad as unknown as tf.KernelFunc,
  },
];
