/**
 * One EDE-GAN optimisation step, written out plainly: update the generator (E1, Dec, E2) on its
 * three losses, then the discriminator on real against generated images.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { EdeGanForward, GeneratorOutput } from "./forward.ts";
import type { PartName } from "./architecture.ts";
import { discriminatorLoss, generatorLoss } from "./losses.ts";
import { Adam, keyedGradients } from "../../train/adam.ts";
import type { StepContext } from "../anomaly_model.ts";

/** The generator's parts. */
export const GENERATOR_PARTS: readonly PartName[] = ["encoder1", "decoder", "encoder2"];
/** The discriminator's part. */
export const DISCRIMINATOR_PARTS: readonly PartName[] = ["discriminator"];

/** A discriminator whose loss falls below this has won outright and is re-initialised. */
export const COLLAPSED_D_LOSS = 1e-5;

/**
 * The losses of one step, read back as numbers, in the order epoch records show them (a type,
 * not an interface, so that it is a {@link Losses} record).
 */
export type StepLosses = {
  /** Generator total (without the distillation loss) and its weighted terms. */
  lossG: number;
  /** Discriminator's binary cross-entropy (0 when the discriminator was not trained). */
  lossD: number;
  adversarial: number;
  contextual: number;
  latent: number;
  /** The distillation loss given in {@link StepOptions}; absent without one. */
  distillation?: number;
};

/** How a step differs from plain EDE-GAN training (used by distillation). */
export interface StepOptions {
  /** The distillation loss, added to the generator's loss, given its outputs. */
  distillationLoss?: (out: GeneratorOutput) => tf.Scalar;
  /** Train on the GAN losses (default true); false: the generator learns from
   * `distillationLoss` alone and the discriminator is left untouched. */
  ganLosses?: boolean;
  /** Return the generator's outputs of this step (computed before its update); the caller
   * disposes them. */
  keepOutputs?: boolean;
  /**
   * Where the step is in its run. Given, a discriminator whose loss collapsed (below
   * {@link COLLAPSED_D_LOSS}) is re-initialised from a seed drawn from it and its optimiser reset,
   * as GANomaly does; absent, it never is.
   */
  context?: StepContext;
}

/** One Adam per network of a model. */
export type EdeGanOptimisers = {
  generator: Adam;
  discriminator: Adam;
};

/**
 * Adam optimisers (the model's learning rate and betas) over the generator's and the
 * discriminator's trainable variables; `extraGeneratorVariables` (a distillation projection)
 * are trained with the generator.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 *
 * import { EdeGan } from "./network.ts";
 * import { createOptimisers } from "./step.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 4, latentSize: 8 }, 1);
 * const opt = createOptimisers(model);
 * console.log(opt.generator.variables.size);
 * ```
 */
export function createOptimisers(
  model: EdeGanForward,
  extraGeneratorVariables: Map<string, tf.Variable> = new Map(),
): EdeGanOptimisers {
  const settings = {
    learningRate: model.config.learningRate,
    beta1: model.config.beta1,
    beta2: model.config.beta2,
  };
  const keyed = (parts: readonly PartName[]) =>
    new Map(model.trainable(parts).map((v) => [model.keyOf(v), v]));
  return {
    generator: new Adam(
      new Map([...keyed(GENERATOR_PARTS), ...extraGeneratorVariables]),
      settings,
    ),
    discriminator: new Adam(keyed(DISCRIMINATOR_PARTS), settings),
  };
}

/**
 * Runs one step on a batch of images in [-1, 1] and resolves to its losses. BatchNorm uses batch
 * statistics, and each network's running averages move only in its own update; with
 * `opts.context`, a collapsed discriminator is then re-initialised (see {@link StepOptions}). The losses are
 * read with `await tensor.data()`, so the step runs on every backend, webgpu included (which
 * cannot read synchronously under Deno).
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 *
 * import { EdeGan } from "./network.ts";
 * import { createOptimisers, trainStep } from "./step.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 4, latentSize: 8 }, 1);
 * const losses = await trainStep(model, createOptimisers(model), tf.zeros([2, 32, 32, 1]));
 * if (!Number.isFinite(losses.lossG)) throw new Error();
 * ```
 */
export async function trainStep(
  model: EdeGanForward,
  optimisers: EdeGanOptimisers,
  images: tf.Tensor4D,
  opts: StepOptions = {},
): Promise<StepLosses & { outputs?: GeneratorOutput }> {
  const gan = opts.ganLosses ?? true;
  let fake: tf.Tensor4D | undefined;
  let outputs: GeneratorOutput | undefined;
  let terms: tf.Scalar[] = [];
  try {
    // Generator: E1 -> Dec -> E2 against the discriminator's features of real and generated images.
    tf.tidy(() => {
      const { value, grads } = keyedGradients(optimisers.generator, () => {
        const out = model.generate(images, "train");
        const { z, xHat, zHat } = out;
        fake = tf.keep(xHat);
        if (opts.keepOutputs) outputs = { z: tf.keep(z), xHat: fake, zHat: tf.keep(zHat) };
        const zero = tf.scalar(0);
        let loss = { total: zero, adversarial: zero, contextual: zero, latent: zero };
        if (gan) {
          const featuresReal = model.discriminate(images, "train").features;
          const featuresFake = model.discriminate(xHat, "train").features;
          loss = generatorLoss(
            { x: images, xHat, z, zHat, featuresReal, featuresFake },
            model.config.weights,
          );
        }
        const distillation = opts.distillationLoss ? opts.distillationLoss(out) : zero;
        terms = [loss.adversarial, loss.contextual, loss.latent, distillation].map((t) =>
          tf.keep(t)
        );
        // Without a distillation loss the total is the GAN losses' own (adding a zero would be
        // exact, but costs an Add and two Reshapes in its gradient).
        return opts.distillationLoss ? tf.add(loss.total, distillation) as tf.Scalar : loss.total;
      });
      optimisers.generator.apply(grads);
      terms.unshift(tf.keep(value));
    });
    model.commitBatchStats(GENERATOR_PARTS);

    // Discriminator: real images against the (detached) generated ones of this step.
    const lossD = gan
      ? tf.tidy(() => {
        const { value, grads } = keyedGradients(optimisers.discriminator, () =>
          discriminatorLoss(
            model.discriminate(images, "train").logits,
            model.discriminate(fake!, "train").logits,
          ));
        optimisers.discriminator.apply(grads);
        return value;
      })
      : tf.scalar(0);
    model.commitBatchStats(DISCRIMINATOR_PARTS);
    terms.push(lossD);
    const [total, adversarial, contextual, latent, distillation, d] = (
      await Promise.all(terms.map((t) => t.data()))
    ).map((values) => values[0]);
    if (gan && opts.context && d < COLLAPSED_D_LOSS) {
      model.reinitialise(DISCRIMINATOR_PARTS, opts.context.seed * 7919 + opts.context.step);
      optimisers.discriminator.reset();
    }
    return {
      lossG: total - distillation,
      lossD: d,
      adversarial,
      contextual,
      latent,
      ...(opts.distillationLoss ? { distillation } : {}),
      ...(outputs ? { outputs } : {}),
    };
  } finally {
    model.discardBatchStats();
    tf.dispose([...terms, ...(fake && !outputs ? [fake] : [])]);
  }
}
