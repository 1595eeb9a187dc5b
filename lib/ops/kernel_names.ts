/**
 * The names and attributes of the kernels edegan adds to tfjs, shared by the ops that run them
 * (this folder) and the backends that register them (`lib/backend/kernels.ts`), as tfjs-core's
 * `kernel_names.ts` is shared by its ops and backends. An op asks tfjs's kernel registry, not a
 * backend, whether the active backend has a kernel ({@link hasKernel}).
 *
 * @module
 */

import * as tf from "../tf.ts";

/** Training-mode BatchNorm then activation: x, gamma, beta -> y, mean, variance. */
export const BATCH_NORM_ACTIVATION = "EdeganBatchNormActivation";
/** Its gradient: x, gamma, beta, mean, variance, y, dy -> dx, dgamma, dbeta. */
export const BATCH_NORM_ACTIVATION_GRAD = "EdeganBatchNormActivationGrad";
/** LeakyReLU or ReLU: x -> y. */
export const ACTIVATION = "EdeganActivation";
/** Its gradient: y, dy -> dx. */
export const ACTIVATION_GRAD = "EdeganActivationGrad";
/** One Adam step of one weight tensor: variable, grad, m, v -> variable', m', v'. */
export const ADAM_UPDATE = "EdeganAdamUpdate";
/**
 * One Adam step of many weight tensors whose moments lie in two flat buffers: inputs `m`, `v`
 * (float32 [total]) and `p0`, `g0`, `p1`, `g1`, ... (each p_i and g_i of one shape, sizes summing
 * to total, in that order) -> p0', p1', ..., m', v'.
 */
export const ADAM_UPDATE_FLAT = "EdeganAdamUpdateFlat";

/**
 * Scoring only (inference, no gradient): LeakyReLU, ReLU or tanh of x, attributes `activation`,
 * `alpha` (see `lib/ops/scoring.ts`).
 */
export const SCORE_ACTIVATION = "EdeganScoreActivation";
/**
 * Scoring only: inference BatchNorm by fixed per-channel statistics, then an activation: x, mean,
 * variance, offset, scale -> y; attributes `varianceEpsilon`, `activation`, `alpha`.
 */
export const SCORE_BATCH_NORM_ACTIVATION = "EdeganScoreBatchNormActivation";
/** Scoring only: a transposed convolution, dy, filter -> dx (`Conv2DBackpropInput`'s attributes). */
export const SCORE_CONV2D_TRANSPOSE = "EdeganScoreConv2DTranspose";
/** Scoring only: a convolution, x, filter -> y (`Conv2D`'s attributes). */
export const SCORE_CONV2D = "EdeganScoreConv2D";
/** Scoring only: a list of scoring steps on x (attribute `steps`) -> the values of its outputs. */
export const SCORE_SEQUENCE = "EdeganScoreSequence";

/**
 * BatchNorm's running averages of many layers in one call: inputs `movingMean{k}`,
 * `movingVariance{k}` per layer k and `mean{i}`, `variance{i}` per collected batch statistic i
 * (in the order they were collected) -> movingMean'{k}, movingVariance'{k} for every k.
 */
export const MOVING_AVERAGES = "EdeganMovingAverages";

/**
 * The discriminator's binary cross-entropy of real logits against 1 and generated ones against 0,
 * the two means averaged: real [N], fake [M] -> loss [] (no attributes).
 */
export const REAL_FAKE_CROSS_ENTROPY = "EdeganRealFakeCrossEntropy";
/** The gradient of {@link REAL_FAKE_CROSS_ENTROPY}: real, fake, dy [] -> dReal, dFake. */
export const REAL_FAKE_CROSS_ENTROPY_GRAD = "EdeganRealFakeCrossEntropyGrad";

/**
 * EDE-GAN's (GANomaly's) generator loss: featuresReal, featuresFake, x, xHat, z, zHat ->
 * total, adversarial, contextual, latent (scalars; each term already weighted).
 */
export const GENERATOR_LOSS = "EdeganGeneratorLoss";
/** The gradient of {@link GENERATOR_LOSS}'s total: the six inputs and dy -> their gradients. */
export const GENERATOR_LOSS_GRAD = "EdeganGeneratorLossGrad";

/** Attributes of {@link GENERATOR_LOSS} and {@link GENERATOR_LOSS_GRAD}: the terms' weights. */
export interface GeneratorLossAttrs {
  adversarial: number;
  contextual: number;
  latent: number;
}

/** Attributes of {@link MOVING_AVERAGES}. */
export interface MovingAveragesAttrs {
  /** The fraction of a batch statistic taken in (PyTorch's momentum, 0.1). */
  momentum: number;
  /** The layer k of each statistic i. */
  layers: number[];
  /** How many values each statistic i was taken over (its variance is made unbiased). */
  counts: number[];
}

/** The activation after a block's normalisation. */
export type BlockActivation = "leakyRelu" | "relu" | "none";

/** Attributes of {@link BATCH_NORM_ACTIVATION} and its gradient. */
export interface BatchNormActivationAttrs {
  activation: BlockActivation;
  epsilon: number;
  /** LeakyReLU's negative slope (ignored otherwise). */
  alpha: number;
}

/** Attributes of {@link ACTIVATION} and its gradient. */
export interface ActivationAttrs {
  activation: "leakyRelu" | "relu";
  alpha: number;
}

/** Attributes of {@link ADAM_UPDATE} and {@link ADAM_UPDATE_FLAT}: the step's constants. */
export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - β2^t. */
  correction2: number;
  /** learningRate / (1 - β1^t). */
  stepSize: number;
}

/**
 * Whether the active backend has a kernel of this name in tfjs's registry.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertEquals } from "@std/assert";
 * import { ADAM_UPDATE, hasKernel } from "./kernel_names.ts";
 * await tf.setBackend("cpu");
 * assertEquals([hasKernel(ADAM_UPDATE), hasKernel("Add")], [false, true]);
 * ```
 */
export function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}
