/**
 * What distillation (`lib/distill`) needs of a model, after Zhang et al., arXiv 2109.07295: the
 * outputs the distillation loss K compares, a narrower copy to be the student, and a cost to take
 * compression ratios on. EDE-GAN (`./ede_gan/network.ts`) implements it.
 *
 * @module
 */

import type * as tf from "../tf.ts";
import type { AnomalyModel } from "./anomaly_model.ts";

/** The outputs K compares between a teacher and a student, for a batch of `n` images. */
export interface DistilledOutputs {
  /** E1(x): [n, latent]. */
  z: tf.Tensor2D;
  /** Dec(z): [n, size, size, channels], in [-1, 1]. */
  xHat: tf.Tensor4D;
  /** E2(x_hat): [n, latent]. */
  zHat: tf.Tensor2D;
}

/** The shape of a narrower copy: a base width and, when given, another latent size. */
export interface NarrowerShape {
  /** The channels of the first layer (the others follow the model's layout). */
  width: number;
  /** The latent size (default: the model's). */
  latentSize?: number;
}

/** The cost a compression ratio is taken on: the scoring path's, per image. */
export interface DistillableCost {
  /** Parameters of the scoring path (weights, BatchNorm gamma and beta). */
  params: number;
  /** 2 x multiply-accumulates / 1e6 of the scoring path, per image. */
  mflops: number;
}

/**
 * A model distillation can use as a teacher or a student: an {@link AnomalyModel} with the outputs
 * K compares, a narrower copy of itself and its cost. Implementations must keep `narrower`'s copy
 * the same kind of model (the student is scored, saved and loaded as the teacher is).
 */
export interface DistillableModel extends AnomalyModel {
  /**
   * The outputs K compares for images [n, size, size, channels] in [-1, 1], BatchNorm in training
   * mode (`train`: batch statistics collected), by moving averages (`infer`) or per image.
   */
  distilledOutputs(images: tf.Tensor4D, mode: "train" | "infer" | "perImage"): DistilledOutputs;
  /**
   * A new model of the same kind and settings but `shape`'s width and latent size, its variables
   * drawn from `seed`; the caller disposes it. Throws on a width or latent size below 1.
   */
  narrower(shape: NarrowerShape, seed: number): this;
  /** The scoring path's parameters and MFLOPs per image. */
  cost(): DistillableCost;
}
