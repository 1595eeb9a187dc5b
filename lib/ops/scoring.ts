/**
 * The ops a model's scoring pass calls (inference: no gradient is ever taken through them): on the
 * wasm and onednn backends they run the scoring kernels of `lib/backend/wasm_kernels/scoring.ts` (SIMD tanh,
 * BatchNorm and its activation as one kernel call, the SIMD one-channel transposed convolution
 * from a few channels, the SIMD convolution from one channel to a few); on every other backend, or without WebAssembly SIMD, the stock tfjs ops, the same
 * function as training's. Training never calls these, so its arithmetic does not depend on them.
 *
 * @module
 */

import * as tf from "../tf.ts";
import {
  hasKernel,
  SCORE_ACTIVATION,
  SCORE_BATCH_NORM_ACTIVATION,
  SCORE_CONV2D,
  SCORE_CONV2D_TRANSPOSE,
  SCORE_SEQUENCE,
} from "./kernel_names.ts";
import type { ScoreActivation, ScoreStep } from "../backend/wasm_kernels/scoring.ts";

export type { ScoreActivation, ScoreStep } from "../backend/wasm_kernels/scoring.ts";

/** Whether the active backend has the scoring kernels (`lib/backend/kernels.ts` registers them). */
export function scoringKernelsActive(): boolean {
  return hasKernel(SCORE_SEQUENCE);
}

function stockActivation(x: tf.Tensor, activation: ScoreActivation, alpha: number): tf.Tensor {
  switch (activation) {
    case "leakyRelu":
      return tf.leakyRelu(x, alpha);
    case "relu":
      return tf.relu(x);
    case "tanh":
      return tf.tanh(x);
    case "none":
      return x;
  }
}

/**
 * LeakyReLU (slope `alpha` below zero, in [0, 1]), ReLU, tanh or nothing, for scoring. LeakyReLU
 * and ReLU give the stock ops' values; tanh is within 6 float32 ulps and 4e-7 of the stock op's on
 * the wasm backends.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { scoreActivation } from "./scoring.ts";
 * await tf.setBackend("cpu");
 * const y = scoreActivation(tf.tensor1d([-1, 2]), "leakyRelu", 0.2);
 * assertEquals(Array.from(y.dataSync()), [Math.fround(-0.2), 2]);
 * ```
 */
export function scoreActivation<T extends tf.Tensor>(
  x: T,
  activation: ScoreActivation,
  alpha = 0,
): T {
  if (activation === "none") return x;
  if (!scoringKernelsActive() || x.dtype !== "float32") {
    return stockActivation(x, activation, alpha) as T;
  }
  return tf.engine().runKernel(SCORE_ACTIVATION, { x }, { activation, alpha }) as T;
}

/**
 * Inference BatchNorm of NHWC `x` by fixed per-channel statistics, then an activation: one kernel
 * call on the wasm backends (x·a + b with a = scale / √(variance + ε) and b = offset - mean·a, which
 * differs from the stock op's rounding by about 1e-7 relative), the stock `batchNorm4d` and
 * activation elsewhere.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { scoreBatchNormActivation } from "./scoring.ts";
 * await tf.setBackend("cpu");
 * const x = tf.tensor4d([1, -3], [1, 1, 1, 2]);
 * const one = tf.tensor1d([1, 1]), zero = tf.tensor1d([0, 0]);
 * const y = scoreBatchNormActivation(x, { mean: zero, variance: one, offset: zero, scale: one },
 *   0, "relu").dataSync();
 * assertAlmostEquals(y[0], 1, 1e-6);
 * assertAlmostEquals(y[1], 0, 1e-6);
 * ```
 */
export function scoreBatchNormActivation(
  x: tf.Tensor4D,
  stats: { mean: tf.Tensor1D; variance: tf.Tensor1D; offset: tf.Tensor1D; scale: tf.Tensor1D },
  varianceEpsilon: number,
  activation: ScoreActivation,
  alpha = 0,
): tf.Tensor4D {
  const { mean, variance, offset, scale } = stats;
  if (!scoringKernelsActive() || x.dtype !== "float32") {
    const y = tf.batchNorm4d(x, mean, variance, offset, scale, varianceEpsilon);
    return stockActivation(y, activation, alpha) as tf.Tensor4D;
  }
  return tf.engine().runKernel(
    SCORE_BATCH_NORM_ACTIVATION,
    { x, mean, variance, offset, scale },
    { varianceEpsilon, activation, alpha },
  ) as tf.Tensor4D;
}

/**
 * `tf.conv2dTranspose` of NHWC `x` for scoring: on the wasm backends a transposed convolution to
 * one channel from a channel count not a multiple of 4 with a kernel 4 wide (a width-2 or width-3
 * student's last decoder layer) runs the SIMD loop `oneChannelNarrow`, one vector of a kernel
 * row's four taps per input position (its sums in another order than training's kernel: float
 * rounding only); everything else is `tf.conv2dTranspose`'s own kernel.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { scoreConv2dTranspose } from "./scoring.ts";
 * await tf.setBackend("cpu");
 * const y = scoreConv2dTranspose(tf.ones([1, 2, 2, 3]), tf.ones([4, 4, 1, 3]), [1, 4, 4, 1], 2,
 *   "same");
 * assertEquals(y.shape, [1, 4, 4, 1]);
 * assertEquals(y.dataSync()[5], 12);
 * ```
 */
export function scoreConv2dTranspose(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  outputShape: [number, number, number, number],
  strides: number,
  pad: "same" | "valid",
): tf.Tensor4D {
  const narrowOneChannel = outputShape[3] === 1 && filter.shape[1] === 4 &&
    x.shape[3] % 4 !== 0;
  if (!narrowOneChannel || !scoringKernelsActive() || x.dtype !== "float32") {
    return tf.conv2dTranspose(x, filter, outputShape, strides, pad);
  }
  return tf.engine().runKernel(
    SCORE_CONV2D_TRANSPOSE,
    { dy: x, filter },
    {
      strides,
      pad,
      dataFormat: "NHWC",
      dimRoundingMode: undefined as unknown as string,
      inputShape: outputShape,
    },
  ) as tf.Tensor4D;
}

/**
 * `tf.conv2d` of NHWC `x` for scoring: on the wasm backends a 4x4 convolution from one channel to
 * at most four (a width-2 or width-3 student's first encoder layer) runs the
 * SIMD loop `oneChannelConv`, one vector of the output channels per position (its sums in another
 * order than the stock kernel's: float rounding only); everything else is `tf.conv2d`'s own kernel.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { scoreConv2d } from "./scoring.ts";
 * await tf.setBackend("cpu");
 * const y = scoreConv2d(tf.ones([1, 4, 4, 1]), tf.ones([4, 4, 1, 3]), 2, "same");
 * assertEquals(y.shape, [1, 2, 2, 3]);
 * assertEquals(Array.from(y.dataSync()).slice(0, 3), [9, 9, 9]);
 * ```
 */
export function scoreConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number,
  pad: "same" | "valid",
): tf.Tensor4D {
  const oneChannel = x.shape[3] === 1 && filter.shape[0] === 4 && filter.shape[1] === 4 &&
    filter.shape[3] <= 4;
  if (!oneChannel || !scoringKernelsActive() || x.dtype !== "float32") {
    return tf.conv2d(x, filter, strides, pad);
  }
  // The attributes tf.conv2d gives its kernel.
  return tf.engine().runKernel(SCORE_CONV2D, { x, filter }, {
    strides,
    pad,
    dataFormat: "NHWC",
    dilations: [1, 1],
    dimRoundingMode: undefined as unknown as string,
  }) as tf.Tensor4D;
}

/**
 * A list of scoring steps ({@link ScoreStep}: convolutions, transposed convolutions, BatchNorm +
 * activation, activations, reshapes) on `x`, returning the values of its `output` steps: one
 * kernel call on the wasm backends (`EdeganScoreSequence`, the same values as the ops above one by
 * one, without the engine's bookkeeping per op), the ops above one by one elsewhere. `weights`
 * holds every tensor the steps name.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { scoreSequence } from "./scoring.ts";
 * await tf.setBackend("cpu");
 * const [y] = scoreSequence(tf.ones([2, 4, 4, 1]), { f: tf.ones([4, 4, 1, 3]) }, [
 *   { op: "conv", filter: "f", stride: 1, pad: "valid" },
 *   { op: "reshape", shape: [3] },
 *   { op: "activation", activation: "relu", alpha: 0 },
 *   { op: "output" },
 * ]);
 * assertEquals(y.shape, [2, 3]);
 * assertEquals(Array.from(y.dataSync()), [16, 16, 16, 16, 16, 16]);
 * ```
 */
export function scoreSequence(
  x: tf.Tensor4D,
  weights: Record<string, tf.Tensor>,
  steps: readonly ScoreStep[],
): tf.Tensor[] {
  if (scoringKernelsActive() && x.dtype === "float32") {
    const out = tf.engine().runKernel(
      SCORE_SEQUENCE,
      { ...weights, x },
      { steps: steps as unknown as tf.NamedAttrMap[string] },
    );
    return Array.isArray(out) ? out as tf.Tensor[] : [out as tf.Tensor];
  }
  return tf.tidy(() => {
    const outputs: tf.Tensor[] = [];
    let current: tf.Tensor = x;
    const w = (name: string) => {
      if (!weights[name]) throw new Error(`scoreSequence: no weight '${name}'`);
      return weights[name];
    };
    for (const step of steps) {
      const n = current.shape[0];
      switch (step.op) {
        case "conv":
          current = scoreConv2d(
            current as tf.Tensor4D,
            w(step.filter) as tf.Tensor4D,
            step.stride,
            step.pad,
          );
          break;
        case "convTranspose":
          current = scoreConv2dTranspose(
            current as tf.Tensor4D,
            w(step.filter) as tf.Tensor4D,
            [n, step.outSize, step.outSize, step.outChannels],
            step.stride,
            step.pad,
          );
          break;
        case "batchNormActivation":
          current = scoreBatchNormActivation(
            current as tf.Tensor4D,
            {
              mean: w(step.mean) as tf.Tensor1D,
              variance: w(step.variance) as tf.Tensor1D,
              offset: w(step.offset) as tf.Tensor1D,
              scale: w(step.scale) as tf.Tensor1D,
            },
            step.epsilon,
            step.activation,
            step.alpha,
          );
          break;
        case "activation":
          current = scoreActivation(current, step.activation, step.alpha);
          break;
        case "reshape":
          current = tf.reshape(current, [n, ...step.shape]);
          break;
        case "output":
          outputs.push(current);
          break;
      }
    }
    return outputs;
  });
}
