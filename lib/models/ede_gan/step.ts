/**
 * One EDE-GAN optimisation step, written out plainly: update the generator (E1, Dec, E2) on its
 * three losses, then the discriminator on real against generated images.
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { EdeGan, GeneratorOutput } from "../models/ede_gan.ts";
import type { PartName } from "../models/architecture.ts";
import { discriminatorLoss, generatorLoss } from "../models/losses.ts";
import { Adam } from "./adam.ts";

/** The generator's parts. */
export const GENERATOR_PARTS: readonly PartName[] = ["encoder1", "decoder", "encoder2"];
/** The discriminator's part. */
export const DISCRIMINATOR_PARTS: readonly PartName[] = ["discriminator"];

/** The losses of one step, read back as numbers. */
export interface StepLosses {
  /** Generator total and its weighted terms. */
  lossG: number;
  adversarial: number;
  contextual: number;
  latent: number;
  /** Discriminator's binary cross-entropy (0 when the discriminator was not trained). */
  lossD: number;
  /** The extra term given in {@link StepOptions} (the distillation loss), 0 without one. */
  extra: number;
}

/** How a step differs from plain EDE-GAN training (used by distillation). */
export interface StepOptions {
  /** A term added to the generator's loss, given its outputs (e.g. the distillation loss). */
  extraLoss?: (out: GeneratorOutput) => tf.Scalar;
  /** Train on the GAN losses (default true); false: the generator learns from `extraLoss` alone
   * and the discriminator is left untouched. */
  ganLosses?: boolean;
  /** Return the generator's outputs of this step (computed before its update); the caller
   * disposes them. */
  keepOutputs?: boolean;
}

/** One Adam per network of a model. */
export interface EdeGanOptimisers {
  generator: Adam;
  discriminator: Adam;
}

/**
 * Adam optimisers (the model's learning rate and betas) over the generator's and the
 * discriminator's trainable variables; `extraGeneratorVariables` (a distillation projection)
 * are trained with the generator.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 *
 * import { EdeGan } from "../models/ede_gan.ts";
 * import { createOptimisers } from "./step.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 4, latentSize: 8 }, 1);
 * const opt = createOptimisers(model);
 * console.log(opt.generator.variables.size);
 * ```
 */
export function createOptimisers(
  model: EdeGan,
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
 * Gradients of `loss` with respect to an Adam's variables, keyed like them. The returned
 * gradients and the value must be disposed by the caller.
 */
export function keyedGradients(
  adam: Adam,
  loss: () => tf.Scalar,
): { value: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const { value, grads } = tf.variableGrads(loss, [...adam.variables.values()]);
  const byKey = new Map<string, tf.Tensor>();
  for (const [key, variable] of adam.variables) {
    const g = grads[variable.name];
    if (g !== undefined) byKey.set(key, g);
  }
  return { value, grads: byKey };
}

/**
 * Runs one step on a batch of images in [-1, 1] and resolves to its losses. BatchNorm uses batch
 * statistics, and each network's running averages move only in its own update. The losses are
 * read with `await tensor.data()`, so the step runs on every backend, webgpu included (which
 * cannot read synchronously under Deno).
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 *
 * import { EdeGan } from "../models/ede_gan.ts";
 * import { createOptimisers, trainStep } from "./step.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 4, latentSize: 8 }, 1);
 * const losses = await trainStep(model, createOptimisers(model), tf.zeros([2, 32, 32, 1]));
 * if (!Number.isFinite(losses.lossG)) throw new Error();
 * ```
 */
export async function trainStep(
  model: EdeGan,
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
        const extra = opts.extraLoss ? opts.extraLoss(out) : zero;
        terms = [loss.adversarial, loss.contextual, loss.latent, extra].map((t) => tf.keep(t));
        return tf.add(loss.total, extra) as tf.Scalar;
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
    const [total, adversarial, contextual, latent, extra, d] = (
      await Promise.all(terms.map((t) => t.data()))
    ).map((values) => values[0]);
    return {
      lossG: total - extra,
      adversarial,
      contextual,
      latent,
      lossD: d,
      extra,
      ...(outputs ? { outputs } : {}),
    };
  } finally {
    model.discardBatchStats();
    tf.dispose([...terms, ...(fake && !outputs ? [fake] : [])]);
  }
}
