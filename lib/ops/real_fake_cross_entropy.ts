/**
 * `realFakeCrossEntropy`: the discriminator's loss, binary cross-entropy from logits with real
 * images labelled 1 and generated ones 0, the mean of each half averaged (as GANomaly). Where the
 * active backend has {@link REAL_FAKE_CROSS_ENTROPY} (wasm, onednn), one kernel call each way
 * computes it with the same float32 operations as tfjs's `sigmoidCrossEntropy` ops, which run
 * elsewhere (tests compare the two bit for bit, values and gradients).
 *
 * @module
 */

import * as tf from "../tf.ts";
import {
  hasKernel,
  REAL_FAKE_CROSS_ENTROPY,
  REAL_FAKE_CROSS_ENTROPY_GRAD,
} from "./kernel_names.ts";

/**
 * ½·(mean BCE(1, real) + mean BCE(0, fake)) of logits real [N] and fake [M], computed as
 * max(x, 0) - x·label + log1p(exp(-|x|)) per logit; differentiable in both.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertAlmostEquals } from "@std/assert";
 * import { realFakeCrossEntropy } from "./real_fake_cross_entropy.ts";
 * await tf.setBackend("cpu");
 * const loss = realFakeCrossEntropy(tf.tensor1d([0]), tf.tensor1d([0])).dataSync()[0];
 * assertAlmostEquals(loss, Math.log(2), 1e-6);
 * ```
 */
export function realFakeCrossEntropy(real: tf.Tensor1D, fake: tf.Tensor1D): tf.Scalar {
  if (!hasKernel(REAL_FAKE_CROSS_ENTROPY) || real.dtype !== "float32" || fake.dtype !== "float32") {
    return composed(real, fake);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [r, f] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    const loss = tf.engine().runKernel(REAL_FAKE_CROSS_ENTROPY, { real: r, fake: f }, {});
    save([r, f]);
    return {
      value: loss as tf.Tensor,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.engine().runKernel(
          REAL_FAKE_CROSS_ENTROPY_GRAD,
          { real: saved[0], fake: saved[1], dy: dy as tf.Tensor },
          {},
        ) as tf.Tensor[],
    };
  });
  return op(real, fake) as tf.Scalar;
}

/** tfjs's own ops: the labels made on the host (`ones`, `zeros`: no kernel call). */
function composed(real: tf.Tensor1D, fake: tf.Tensor1D): tf.Scalar {
  const r = tf.losses.sigmoidCrossEntropy(tf.ones(real.shape), real);
  const f = tf.losses.sigmoidCrossEntropy(tf.zeros(fake.shape), fake);
  return tf.mul(tf.add(r, f), 0.5) as tf.Scalar;
}
