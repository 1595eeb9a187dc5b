/**
 * One EDE-GAN optimisation step, written out plainly: update the generator (E1, Dec, E2) on its
 * three losses, then the discriminator on real against generated images.
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { EdeGan } from "../models/ede_gan.ts";
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
  /** Discriminator's binary cross-entropy. */
  lossD: number;
}

/** One Adam per network of a model. */
export interface EdeGanOptimisers {
  generator: Adam;
  discriminator: Adam;
}

/**
 * Adam optimisers (the model's learning rate and betas) over the generator's and the
 * discriminator's trainable variables.
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
export function createOptimisers(model: EdeGan): EdeGanOptimisers {
  const settings = {
    learningRate: model.config.learningRate,
    beta1: model.config.beta1,
    beta2: model.config.beta2,
  };
  const keyed = (parts: readonly PartName[]) =>
    new Map(model.trainable(parts).map((v) => [model.keyOf(v), v]));
  return {
    generator: new Adam(keyed(GENERATOR_PARTS), settings),
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
  const keys = [...adam.variables.keys()];
  const { value, grads } = tf.variableGrads(loss, [...adam.variables.values()]);
  const byKey = new Map<string, tf.Tensor>();
  const variables = [...adam.variables.values()];
  keys.forEach((key, i) => {
    const g = grads[variables[i].name];
    if (g !== undefined) byKey.set(key, g);
  });
  return { value, grads: byKey };
}

/**
 * Runs one step on a batch of images in [-1, 1] and returns its losses. BatchNorm uses batch
 * statistics, and each network's running averages move only in its own update.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 *
 * import { EdeGan } from "../models/ede_gan.ts";
 * import { createOptimisers, trainStep } from "./step.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 4, latentSize: 8 }, 1);
 * const losses = trainStep(model, createOptimisers(model), tf.zeros([2, 32, 32, 1]));
 * if (!Number.isFinite(losses.lossG)) throw new Error();
 * ```
 */
export function trainStep(
  model: EdeGan,
  optimisers: EdeGanOptimisers,
  images: tf.Tensor4D,
): StepLosses {
  let fake: tf.Tensor4D | undefined;
  let terms: tf.Scalar[] = [];
  try {
    // Generator: E1 -> Dec -> E2 against the discriminator's features of real and generated images.
    tf.tidy(() => {
      const { value, grads } = keyedGradients(optimisers.generator, () => {
        const { z, xHat, zHat } = model.generate(images, "train");
        fake = tf.keep(xHat);
        const featuresReal = model.discriminate(images, "train").features;
        const featuresFake = model.discriminate(xHat, "train").features;
        const loss = generatorLoss(
          { x: images, xHat, z, zHat, featuresReal, featuresFake },
          model.config.weights,
        );
        terms = [loss.adversarial, loss.contextual, loss.latent].map((t) => tf.keep(t));
        return loss.total;
      });
      optimisers.generator.apply(grads);
      terms.unshift(tf.keep(value));
    });
    model.commitBatchStats(GENERATOR_PARTS);

    // Discriminator: real images against the (detached) generated ones of this step.
    const lossD = tf.tidy(() => {
      const { value, grads } = keyedGradients(optimisers.discriminator, () =>
        discriminatorLoss(
          model.discriminate(images, "train").logits,
          model.discriminate(fake!, "train").logits,
        ));
      optimisers.discriminator.apply(grads);
      return value;
    });
    model.commitBatchStats(DISCRIMINATOR_PARTS);
    terms.push(lossD);
    const [lossG, adversarial, contextual, latent, d] = terms.map((t) => t.dataSync()[0]);
    return { lossG, adversarial, contextual, latent, lossD: d };
  } finally {
    model.discardBatchStats();
    tf.dispose([...terms, ...(fake ? [fake] : [])]);
  }
}
