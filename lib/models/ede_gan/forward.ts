/**
 * What EDE-GAN's step (`./step.ts`) and scores (`./score.ts`) need of a network: its forward
 * passes, its trainable variables and its BatchNorm bookkeeping. `./network.ts`'s `EdeGan`
 * implements it; the step and the scores are typed on it so that the network may call them
 * without an import circle.
 *
 * @module
 */

import type * as tf from "../../tf.ts";
import type { PartName } from "./architecture.ts";
import type { EdeGanConfig } from "./config.ts";

/**
 * How BatchNorm normalises: `train` by the batch's statistics (collected for
 * {@link EdeGanForward.commitBatchStats}), `infer` by the moving averages, `perImage` by each
 * image's own statistics, which is training mode at batch 1 computed for a whole batch at once
 * (nothing is collected). A net trained at batch 1 computes, in `perImage` mode, the function it
 * was trained as. `score` is `infer` for scoring only (no gradient may be taken): BatchNorm and
 * its activation as one call, by the scoring ops of `lib/ops/scoring.ts` (the same function as
 * `infer` up to float rounding, about 1e-7 relative; identical ops on backends without scoring
 * kernels).
 */
export type Mode = "train" | "infer" | "perImage" | "score";

/** What the generator computes for a batch. */
export interface GeneratorOutput {
  /** E1(x): [batch, latent]. */
  z: tf.Tensor2D;
  /** Dec(z): [batch, size, size, channels], in [-1, 1]. */
  xHat: tf.Tensor4D;
  /** E2(x_hat): [batch, latent]. */
  zHat: tf.Tensor2D;
}

/** What the discriminator computes: one logit per image and the features before the last layer. */
export interface DiscriminatorOutput {
  logits: tf.Tensor1D;
  features: tf.Tensor4D;
}

/** An EDE-GAN network as its step and its scores see it (implemented by `EdeGan`). */
export interface EdeGanForward {
  /** The resolved configuration (learning rates, loss weights, score distance). */
  readonly config: EdeGanConfig;
  /** z = E1(x), x_hat = Dec(z), z_hat = E2(x_hat) of images [batch, size, size, channels]. */
  generate(images: tf.Tensor4D, mode: Mode): GeneratorOutput;
  /** D's logits [batch] and last feature map. */
  discriminate(images: tf.Tensor4D, mode: Mode): DiscriminatorOutput;
  /** The trainable variables of some parts, in a stable order. */
  trainable(parts: readonly PartName[]): tf.Variable[];
  /** The key (`part/layer/tensor`) of a variable of this model; throws for another's. */
  keyOf(variable: tf.Variable): string;
  /** Applies the batch statistics collected for `parts` to the moving averages, forgets all. */
  commitBatchStats(parts: readonly PartName[]): void;
  /** Forgets the collected batch statistics without applying them. */
  discardBatchStats(): void;
  /** Draws fresh initial values for the variables of some parts from `seed`. */
  reinitialise(parts: readonly PartName[], seed: number): void;
}
