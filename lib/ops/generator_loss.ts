/**
 * `generatorLoss` as one op: GANomaly's (and EDE-GAN's) three generator losses, each weighted,
 * and their sum. Where the active backend has {@link GENERATOR_LOSS} (wasm, onednn), one kernel
 * call each way computes it with the same float32 operations as tfjs's ops, which run elsewhere
 * (tests compare the two bit for bit, values and gradients).
 *
 * Source: Akçay et al. 2018 (GANomaly), the losses EDE-GAN keeps.
 *
 * @module
 */

import * as tf from "../tf.ts";
import {
  GENERATOR_LOSS,
  GENERATOR_LOSS_GRAD,
  type GeneratorLossAttrs,
  hasKernel,
} from "./kernel_names.ts";

/** What the generator's loss is computed from. */
export interface GeneratorLossInputs {
  /** The images x and the reconstructions x_hat: [N, H, W, C]. */
  x: tf.Tensor4D;
  xHat: tf.Tensor4D;
  /** The latents z = E1(x) and z_hat = E2(x_hat): [N, latent]. */
  z: tf.Tensor2D;
  zHat: tf.Tensor2D;
  /** The discriminator's last feature maps of x and of x_hat (same shape). */
  featuresReal: tf.Tensor4D;
  featuresFake: tf.Tensor4D;
}

/** The generator's loss and its three terms (each already weighted). */
export interface GeneratorLossTerms {
  total: tf.Scalar;
  adversarial: tf.Scalar;
  contextual: tf.Scalar;
  latent: tf.Scalar;
}

// tfjs finds a kernel's gradient by its name; the terms are for reading, so only the total's
// gradient (dys[0]) flows back.
tf.registerGradient({
  kernelName: GENERATOR_LOSS,
  inputsToSave: ["featuresReal", "featuresFake", "x", "xHat", "z", "zHat"],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: tf.NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const [featuresReal, featuresFake, x, xHat, z, zHat] = saved;
    // All six at once, before tfjs asks for any (it asks input by input, each in a tidy).
    const grads = tf.engine().runKernel(
      GENERATOR_LOSS_GRAD,
      { featuresReal, featuresFake, x, xHat, z, zHat, dy },
      attrs ?? {},
    ) as tf.Tensor[];
    const [a, b, c, d, e, f] = grads;
    return {
      featuresReal: () => a,
      featuresFake: () => b,
      x: () => c,
      xHat: () => d,
      z: () => e,
      zHat: () => f,
    };
  },
});

/**
 * w_adv·mean((f(x) - f(x_hat))²) + w_con·mean(|x - x_hat|) + w_lat·mean((z - z_hat)²), f the
 * discriminator's last feature map (as GANomaly), and each weighted term; the total is
 * differentiable in every input (the terms are for reading: no gradient flows from them).
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertEquals } from "@std/assert";
 * import { generatorLoss } from "./generator_loss.ts";
 * await tf.setBackend("cpu");
 * const zero = tf.zeros([1, 1, 1, 2]) as tf.Tensor4D, one = tf.ones([1, 1, 1, 2]) as tf.Tensor4D;
 * const z = tf.zeros([1, 2]) as tf.Tensor2D;
 * const terms = generatorLoss({ x: zero, xHat: one, z, zHat: z, featuresReal: zero,
 *   featuresFake: one }, { adversarial: 1, contextual: 50, latent: 1 });
 * assertEquals(terms.total.dataSync()[0], 51);
 * ```
 */
export function generatorLoss(
  t: GeneratorLossInputs,
  weights: GeneratorLossAttrs,
): GeneratorLossTerms {
  const inputs = [t.featuresReal, t.featuresFake, t.x, t.xHat, t.z, t.zHat];
  if (!hasKernel(GENERATOR_LOSS) || inputs.some((x) => x.dtype !== "float32")) {
    return composed(t, weights);
  }
  const { adversarial, contextual, latent } = weights;
  const [total, ...terms] = tf.engine().runKernel(
    GENERATOR_LOSS,
    {
      featuresReal: t.featuresReal,
      featuresFake: t.featuresFake,
      x: t.x,
      xHat: t.xHat,
      z: t.z,
      zHat: t.zHat,
    },
    { adversarial, contextual, latent },
  ) as tf.Scalar[];
  return { total, adversarial: terms[0], contextual: terms[1], latent: terms[2] };
}

/** A loss term times its weight; a weight of 1 multiplies nothing (x·1 = x exactly in float32,
 * and so is its gradient), which spares three kernel calls a term. */
function weighted(term: tf.Tensor, weight: number): tf.Scalar {
  return (weight === 1 ? term : tf.mul(term, weight)) as tf.Scalar;
}

/** tfjs's own ops. */
function composed(t: GeneratorLossInputs, weights: GeneratorLossAttrs): GeneratorLossTerms {
  const adversarial = weighted(
    tf.mean(tf.squaredDifference(t.featuresReal, t.featuresFake)),
    weights.adversarial,
  );
  const contextual = weighted(tf.mean(tf.abs(tf.sub(t.x, t.xHat))), weights.contextual);
  const latent = weighted(tf.mean(tf.squaredDifference(t.z, t.zHat)), weights.latent);
  return {
    total: tf.addN([adversarial, contextual, latent]) as tf.Scalar,
    adversarial,
    contextual,
    latent,
  };
}
