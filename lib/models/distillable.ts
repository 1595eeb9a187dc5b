/**
 * What distillation (`lib/distill`) needs of a model, after Zhang et al., arXiv 2109.07295: the
 * outputs the distillation loss K compares, a training step with K added, a copy to fine-tune, a
 * narrower copy to be the student, and a cost to take compression ratios on. EDE-GAN
 * (`./ede_gan/network.ts`) implements it; `lib/distill` knows no other model type, and
 * `tests/distill/second_model_test.ts` runs P-KDGAN on a second, dense one.
 *
 * @module
 */

import type * as tf from "../tf.ts";
import type { AnomalyModel, Losses, Optimisers, StepContext } from "./anomaly_model.ts";

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
  /** Multiply-accumulates of the scoring path per image: ratios are taken on these. */
  macs: number;
}

/**
 * What the student width search (`lib/distill/students.ts`) needs of a teacher: its own shape,
 * its cost, and the cost of a narrower copy of any shape without building one. A
 * {@link DistillableModel} is one; a model may also give it for a configuration alone (EDE-GAN's
 * `narrowerCosts`), so that benchmarks search widths without weights.
 */
export interface NarrowerCosts {
  /** Its own base width and latent size (a student's are at most these). */
  readonly baseShape: Required<NarrowerShape>;
  /** The scoring path's parameters, MFLOPs and MACs per image. */
  cost(): DistillableCost;
  /** The cost {@link DistillableModel.narrower}'s copy of `shape` would have. */
  costOf(shape: NarrowerShape): DistillableCost;
}

/** How a distillation step differs from the model's own training step. */
export interface DistillStepOptions {
  /**
   * K, given the model's outputs of this step (training mode, before its update): added to the
   * loss of the networks that compute them, its gradient flowing into them alone.
   */
  distillationLoss: (out: DistilledOutputs) => tf.Scalar;
  /**
   * Train on the model's own losses too (default true); false: the networks K reaches learn from
   * K alone and the others (EDE-GAN's discriminator) are left untouched.
   */
  ownLosses?: boolean;
  /** Return the outputs of this step (computed before its update); the caller disposes them. */
  keepOutputs?: boolean;
  /**
   * Where the step is in its run, as the model's own step takes it (seeding what the step draws,
   * EDE-GAN: a collapsed discriminator's re-initialisation); absent, nothing is drawn.
   */
  context?: StepContext;
}

/**
 * A model distillation can use as a teacher or a student: an {@link AnomalyModel} with the outputs
 * K compares, a step with K added, its copies and its cost. Implementations must keep `narrower`'s
 * and `clone`'s copies the same kind of model (the student is scored, saved and loaded as the
 * teacher is). `O` is its optimisers, `L` its losses.
 */
export interface DistillableModel<O extends Optimisers = Optimisers, L extends Losses = Losses>
  extends AnomalyModel<O, L>, NarrowerCosts {
  /**
   * The outputs K compares for images [n, size, size, channels] in [-1, 1], BatchNorm in training
   * mode (`train`: batch statistics collected), by moving averages (`infer`) or per image.
   */
  distilledOutputs(images: tf.Tensor4D, mode: "train" | "infer" | "perImage"): DistilledOutputs;
  /**
   * Forgets what `train`-mode passes collected (EDE-GAN: BatchNorm's batch statistics) without
   * applying it; nothing for a model that collects nothing.
   */
  discardBatchStats(): void;
  /**
   * Fresh optimisers over its trainable variables; `extra` variables (K's latent projection) are
   * trained with the networks K reaches.
   */
  createOptimisers(extra?: Map<string, tf.Variable>): O;
  /**
   * One optimisation step with K added (see {@link DistillStepOptions}); resolves to its losses,
   * the model's own (their totals without K) and `distillation` (K's value), and with
   * `keepOutputs` the step's `outputs`.
   */
  distillStep(
    images: tf.Tensor4D,
    optimisers: O,
    opts: DistillStepOptions,
  ): Promise<{ losses: L; outputs?: DistilledOutputs }>;
  /** A new, trainable model of the same kind, configuration and values; the caller disposes it. */
  clone(): this;
  /**
   * A new model of the same kind and settings but `shape`'s width and latent size, its variables
   * drawn from `seed`; the caller disposes it. Throws on a width or latent size below 1.
   */
  narrower(shape: NarrowerShape, seed: number): this;
}

/** The members a model must have to be a {@link DistillableModel}, beyond an AnomalyModel's. */
const DISTILLABLE_MEMBERS = [
  "distilledOutputs",
  "discardBatchStats",
  "distillStep",
  "clone",
  "narrower",
  "cost",
  "costOf",
  "baseShape",
] as const;

/**
 * Whether `model` is a {@link DistillableModel} (has every member distillation calls).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isDistillable } from "./distillable.ts";
 * import { EdeGan } from "./ede_gan/mod.ts";
 * import { DeepSvdd } from "./deep_svdd/mod.ts";
 * const edeGan = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const deepSvdd = DeepSvdd.create({ widths: [2, 2], representation: 4 }, 1);
 * assertEquals([isDistillable(edeGan), isDistillable(deepSvdd)], [true, false]);
 * edeGan.dispose();
 * deepSvdd.dispose();
 * ```
 */
export function isDistillable(model: AnomalyModel): model is DistillableModel {
  const members = model as unknown as Record<string, unknown>;
  return DISTILLABLE_MEMBERS.every((member) => members[member] !== undefined);
}

/**
 * `model` as a {@link DistillableModel}, or an error naming `where` (the folder it was loaded
 * from, or the flag that named it), the model's kind and what distillation needs.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { asDistillable } from "./distillable.ts";
 * import type { AnomalyModel } from "./anomaly_model.ts";
 * const deepSvdd = { name: "deep-svdd" } as AnomalyModel;
 * assertThrows(() => asDistillable(deepSvdd, "runs/svdd/model"), Error,
 *   "runs/svdd/model: holds a 'deep-svdd' model, which cannot be distilled");
 * ```
 */
export function asDistillable(model: AnomalyModel, where: string): DistillableModel {
  if (isDistillable(model)) return model;
  const missing = DISTILLABLE_MEMBERS.filter((member) =>
    (model as unknown as Record<string, unknown>)[member] === undefined
  );
  throw new Error(
    `${where}: holds a '${model.name}' model, which cannot be distilled: distillation needs ` +
      `the outputs K compares, a step with K, copies and a cost (DistillableModel; it lacks ` +
      `${missing.join(", ")}); use a teacher of a distillable kind such as ede-gan`,
  );
}
