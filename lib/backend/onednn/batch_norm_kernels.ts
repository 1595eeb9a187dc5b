/**
 * The oneDNN kernels of the op `batchNormActivation` and `activation` (`lib/ops/`) on the wasm
 * heap: `EdeganBatchNormActivation` and its gradient, `EdeganActivation` and its gradient. They
 * are registered for the `onednn` backend by `../kernels.ts`; elsewhere the ops compose tfjs's own
 * kernels, which compute the same function (tested against each other).
 *
 * @module
 */

import type * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activationForward, batchNormBackward, batchNormForward } from "./batch_norm.ts";
import { heapAddresses } from "./kernels.ts";
import {
  ACTIVATION,
  ACTIVATION_GRAD,
  type ActivationAttrs,
  BATCH_NORM_ACTIVATION,
  BATCH_NORM_ACTIVATION_GRAD,
  type BatchNormActivationAttrs as Attrs,
} from "../../ops/kernel_names.ts";

function shapeOf(x: tf.TensorInfo, attrs: Attrs) {
  const [batch, height, width, channels] = x.shape;
  return { batch, height, width, channels, ...attrs };
}

/** Training-mode BatchNorm then activation, one oneDNN pass: x, γ, β -> y, μ, σ². */
export const batchNormActivationConfig: tf.KernelConfig = {
  kernelName: BATCH_NORM_ACTIVATION,
  backendName: "wasm",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as BackendWasm;
    const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
    const channels = x.shape[3];
    const y = b.makeOutput(x.shape, "float32");
    const mean = b.makeOutput([channels], "float32");
    const variance = b.makeOutput([channels], "float32");
    batchNormForward(
      shapeOf(x, attrs as unknown as Attrs),
      heapAddresses(b, [x, gamma, beta, y, mean, variance]),
    );
    return [y, mean, variance];
  },
};

/** Its gradient: x, γ, β, μ, σ², y, dy -> dx, dγ, dβ. */
export const batchNormActivationGradConfig: tf.KernelConfig = {
  kernelName: BATCH_NORM_ACTIVATION_GRAD,
  backendName: "wasm",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as BackendWasm;
    const { x, gamma, beta, mean, variance, y, dy } = inputs as Record<string, tf.TensorInfo>;
    const dx = b.makeOutput(x.shape, "float32");
    const dgamma = b.makeOutput(gamma.shape, "float32");
    const dbeta = b.makeOutput(gamma.shape, "float32");
    batchNormBackward(
      shapeOf(x, attrs as unknown as Attrs),
      heapAddresses(b, [x, gamma, beta, mean, variance, y, dy, dx, dgamma, dbeta]),
    );
    return [dx, dgamma, dbeta];
  },
};

/** LeakyReLU or ReLU, one oneDNN pass: x -> y. */
export const activationConfig: tf.KernelConfig = {
  kernelName: ACTIVATION,
  backendName: "wasm",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as BackendWasm;
    const { x } = inputs as Record<string, tf.TensorInfo>;
    const y = b.makeOutput(x.shape, "float32");
    const a = attrs as unknown as ActivationAttrs;
    const size = x.shape.reduce((p, q) => p * q, 1);
    activationForward({ size, ...a }, "forward", heapAddresses(b, [x, y]));
    return y;
  },
};

/** Its gradient from the output: y, dy -> dx. */
export const activationGradConfig: tf.KernelConfig = {
  kernelName: ACTIVATION_GRAD,
  backendName: "wasm",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as BackendWasm;
    const { y, dy } = inputs as Record<string, tf.TensorInfo>;
    const dx = b.makeOutput(y.shape, "float32");
    const a = attrs as unknown as ActivationAttrs;
    const size = y.shape.reduce((p, q) => p * q, 1);
    activationForward({ size, ...a }, "backward", heapAddresses(b, [y, dy, dx]));
    return dx;
  },
};
