/**
 * Deep SVDD's objective and score, Ruff et al., ICML 2018, equations (3) and (5), and its centre:
 *
 *   one-class objective   min_W  1/n sum_i ||phi(x_i; W) - c||^2 + lambda/2 sum_l ||W^l||_F^2   (3)
 *   anomaly score         s(x) = ||phi(x; W*) - c||^2                                           (5)
 *
 * with c fixed before training to the mean of the initial network's outputs on the training
 * normals (section 3.3: a c that is free, or 0 with bias terms, lets the network collapse to a
 * constant). Functions over tensors; call them inside `tf.tidy`.
 *
 * @module
 */

import * as tf from "../../tf.ts";

/**
 * The squared Euclidean distance of each output to the centre, ||phi(x) - c||^2: the anomaly
 * score of equation (5), [n] from phi [n, d] and c [d].
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import { distanceToCentre } from "./losses.ts";
 * await tf.setBackend("cpu");
 * const d = distanceToCentre(tf.tensor2d([[1, 2], [0, 0]]), tf.tensor1d([1, 0]));
 * assertEquals(Array.from(d.dataSync()), [4, 1]);
 * ```
 */
export function distanceToCentre(phi: tf.Tensor2D, centre: tf.Tensor1D): tf.Tensor1D {
  return tf.sum(tf.squaredDifference(phi, centre), 1) as tf.Tensor1D;
}

/**
 * Equation (3)'s data term, the mean of {@link distanceToCentre} over the batch: a scalar.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import { oneClassLoss } from "./losses.ts";
 * await tf.setBackend("cpu");
 * const loss = oneClassLoss(tf.tensor2d([[1, 2], [0, 0]]), tf.tensor1d([1, 0]));
 * assertEquals(loss.dataSync()[0], 2.5);
 * ```
 */
export function oneClassLoss(phi: tf.Tensor2D, centre: tf.Tensor1D): tf.Scalar {
  return tf.mean(distanceToCentre(phi, centre));
}

/**
 * Equation (3)'s weight decay, lambda/2 times the sum of squares of every weight: a scalar whose
 * gradient is lambda W, PyTorch's Adam `weight_decay` (the paper's code).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import { weightDecay } from "./losses.ts";
 * await tf.setBackend("cpu");
 * assertEquals(weightDecay([tf.tensor1d([1, 2]), tf.tensor1d([3])], 0.5).dataSync()[0], 3.5);
 * ```
 */
export function weightDecay(weights: readonly tf.Tensor[], lambda: number): tf.Scalar {
  if (weights.length === 0 || lambda === 0) return tf.scalar(0);
  return tf.mul(tf.addN(weights.map((w) => tf.sum(tf.square(w)))), lambda / 2) as tf.Scalar;
}

/**
 * The centre c from the sum of the initial outputs over `count` training normals: their mean,
 * each entry closer to 0 than `epsilon` pushed to +-`epsilon` (its sign; +epsilon for an exact
 * 0), as the paper's code does so that no unit can reach the centre by dying to zero.
 *
 * @throws Error when `count` is not a positive integer.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { centreFromSum } from "./losses.ts";
 * const c = centreFromSum(new Float64Array([4, -0.1, 0.02, 0]), 2, 0.1);
 * assertEquals(Array.from(c), [2, -0.1, 0.1, 0.1].map(Math.fround));
 * ```
 */
export function centreFromSum(sum: Float64Array, count: number, epsilon: number): Float32Array {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`Deep SVDD centre: expected at least one training image, got ${count}`);
  }
  return Float32Array.from(sum, (total) => {
    const mean = total / count;
    if (Math.abs(mean) >= epsilon) return mean;
    return mean < 0 ? -epsilon : epsilon;
  });
}
