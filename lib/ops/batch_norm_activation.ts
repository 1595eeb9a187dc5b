/**
 * `batchNormActivation`: training-mode batch normalisation and a block's activation as one
 * differentiable op. Where the active backend has the fused kernel ({@link BATCH_NORM_ACTIVATION},
 * `onednn`), one kernel runs each way; elsewhere the op composes tfjs's own `moments`,
 * `batchNorm` and activation, which compute the same function (tests compare the two).
 *
 * Source: Ioffe & Szegedy 2015 (batch normalisation).
 *
 * @module
 */

import * as tf from "../tf.ts";
import {
  BATCH_NORM_ACTIVATION,
  BATCH_NORM_ACTIVATION_GRAD,
  type BatchNormActivationAttrs,
  hasKernel,
} from "./kernel_names.ts";

/** What {@link batchNormActivation} returns: y, and the batch statistics (kept; the caller owns them). */
export interface BatchNormActivationResult {
  /** act(γ·(x - μ)/√(σ² + ε) + β): [N, H, W, C]. */
  y: tf.Tensor4D;
  /** μ over N, H, W: [C]. */
  mean: tf.Tensor1D;
  /** σ², biased, over N, H, W: [C]. */
  variance: tf.Tensor1D;
}

/**
 * Training-mode batch normalisation of x [N, H, W, C] over N, H, W with scale γ [C] and shift β
 * [C], then `attrs.activation` (LeakyReLU of slope `alpha`, ReLU, or none). Differentiable in x,
 * γ and β. The statistics are kept (they survive an enclosing `tf.tidy`): dispose them.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertEquals } from "@std/assert";
 * import { batchNormActivation } from "./batch_norm_activation.ts";
 * await tf.setBackend("cpu");
 * const x = tf.tensor4d([1, 3], [2, 1, 1, 1]);
 * const { y, mean, variance } = batchNormActivation(x, tf.ones([1]), tf.zeros([1]), {
 *   activation: "relu",
 *   epsilon: 0,
 *   alpha: 0,
 * });
 * assertEquals([...y.dataSync(), ...mean.dataSync(), ...variance.dataSync()], [0, 1, 2, 1]);
 * ```
 */
export function batchNormActivation(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  attrs: BatchNormActivationAttrs,
): BatchNormActivationResult {
  return hasKernel(BATCH_NORM_ACTIVATION)
    ? fused(x, gamma, beta, attrs)
    : composed(x, gamma, beta, attrs);
}

function fused(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  attrs: BatchNormActivationAttrs,
): BatchNormActivationResult {
  const named = attrs as unknown as tf.NamedAttrMap;
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance] = tf.engine().runKernel(
      BATCH_NORM_ACTIVATION,
      { x: xs, gamma: g, beta: b },
      named,
    ) as tf.Tensor[];
    // runKernelFunc tidies the forward function: the statistics leave it kept.
    stats = [tf.keep(mean) as tf.Tensor1D, tf.keep(variance) as tf.Tensor1D];
    save([xs, g, b, mean, variance, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sg, sb, sm, sv, sy] = saved;
        return tf.engine().runKernel(
          BATCH_NORM_ACTIVATION_GRAD,
          { x: sx, gamma: sg, beta: sb, mean: sm, variance: sv, y: sy, dy: dy as tf.Tensor },
          named,
        ) as tf.Tensor[];
      },
    };
  });
  const y = op(x, gamma, beta) as tf.Tensor4D;
  return { y, mean: stats![0], variance: stats![1] };
}

function composed(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  { activation, epsilon, alpha }: BatchNormActivationAttrs,
): BatchNormActivationResult {
  const { mean, variance } = tf.moments(x, [0, 1, 2]) as {
    mean: tf.Tensor1D;
    variance: tf.Tensor1D;
  };
  tf.keep(mean);
  tf.keep(variance);
  const z = tf.batchNorm4d(x, mean, variance, beta, gamma, epsilon);
  const y = activation === "leakyRelu"
    ? tf.leakyRelu(z, alpha)
    : activation === "relu"
    ? tf.relu(z)
    : z;
  return { y, mean, variance };
}
