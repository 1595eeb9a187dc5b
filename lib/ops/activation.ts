/**
 * `activation`: LeakyReLU or ReLU with a one-kernel gradient where the active backend has
 * {@link ACTIVATION} (`onednn`: one pass each way, where tfjs's gradient of `leakyRelu` takes
 * three kernels), tfjs's own `leakyRelu` / `relu` elsewhere.
 *
 * @module
 */

import * as tf from "../tf.ts";
import { ACTIVATION, ACTIVATION_GRAD, type ActivationAttrs, hasKernel } from "./kernel_names.ts";

/**
 * `attrs.activation` of x (any shape): LeakyReLU with negative slope `alpha`, or ReLU.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertEquals } from "@std/assert";
 * import { activation } from "./activation.ts";
 * await tf.setBackend("cpu");
 * const y = activation(tf.tensor1d([-1, 2]), { activation: "leakyRelu", alpha: 0.5 });
 * assertEquals([...y.dataSync()], [-0.5, 2]);
 * ```
 */
export function activation<T extends tf.Tensor>(x: T, attrs: ActivationAttrs): T {
  if (!hasKernel(ACTIVATION)) {
    return (attrs.activation === "leakyRelu" ? tf.leakyRelu(x, attrs.alpha) : tf.relu(x)) as T;
  }
  const named = attrs as unknown as tf.NamedAttrMap;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const y = tf.engine().runKernel(ACTIVATION, { x: xs }, named) as tf.Tensor;
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.engine().runKernel(
          ACTIVATION_GRAD,
          { y: saved[0], dy: dy as tf.Tensor },
          named,
        ) as tf.Tensor,
    };
  });
  return op(x) as T;
}
