/**
 * `batchNormActivation`: training-mode batch normalisation and the block's activation as one op
 * with its own gradient, run by oneDNN on the `onednn` backend (kernels `EdeganBatchNormActivation`
 * and `EdeganBatchNormActivationGrad` on the wasm heap). Callers use it only where
 * {@link fusedBatchNormAvailable} says so, and otherwise compose tfjs's own ops, which compute
 * the same function (tested against each other).
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  activationForward,
  batchNormBackward,
  batchNormForward,
  type BlockActivation,
} from "./batch_norm.ts";
import { onednnKernelsActive } from "./register.ts";
import { heapAddresses } from "./kernels.ts";

/** The forward kernel's name: x, gamma, beta -> y, mean, variance. */
export const BATCH_NORM_ACTIVATION = "EdeganBatchNormActivation";
/** The gradient kernel's name: x, gamma, beta, mean, variance, y, dy -> dx, dgamma, dbeta. */
export const BATCH_NORM_ACTIVATION_GRAD = "EdeganBatchNormActivationGrad";

interface Attrs {
  activation: BlockActivation;
  epsilon: number;
  alpha: number;
}

function shapeOf(x: tf.TensorInfo, attrs: Attrs) {
  const [batch, height, width, channels] = x.shape;
  return { batch, height, width, channels, ...attrs };
}

const forwardConfig: tf.KernelConfig = {
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

const gradConfig: tf.KernelConfig = {
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

/** The activation kernel's name: x -> y; its gradient's: y, dy -> dx. */
export const ACTIVATION = "EdeganActivation";
/** The activation gradient kernel's name. */
export const ACTIVATION_GRAD = "EdeganActivationGrad";

interface ActivationAttrs {
  activation: "leakyRelu" | "relu";
  alpha: number;
}

const activationConfig: tf.KernelConfig = {
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

const activationGradConfig: tf.KernelConfig = {
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

/**
 * LeakyReLU (slope `alpha`) or ReLU as one oneDNN pass each way, on the `onednn` backend (where
 * {@link fusedBatchNormAvailable}); tfjs computes the gradient of `leakyRelu` with three kernels.
 */
export function activation(
  x: tf.Tensor4D,
  kind: "leakyRelu" | "relu",
  alpha: number,
): tf.Tensor4D {
  const attrs = { activation: kind, alpha } as unknown as tf.NamedAttrMap;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const y = tf.engine().runKernel(ACTIVATION, { x: xs }, attrs) as tf.Tensor;
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.engine().runKernel(
          ACTIVATION_GRAD,
          { y: saved[0], dy: dy as tf.Tensor },
          attrs,
        ) as tf.Tensor,
    };
  });
  return op(x) as tf.Tensor4D;
}

/** Registers the kernels on the wasm backend (idempotent). */
export function registerBatchNormKernels(): void {
  for (const config of [forwardConfig, gradConfig, activationConfig, activationGradConfig]) {
    if (tf.getKernel(config.kernelName, "wasm") === undefined) tf.registerKernel(config);
  }
}

/**
 * Whether {@link batchNormActivation} can run now: the `onednn` backend is active.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import { fusedBatchNormAvailable } from "./batch_norm_op.ts";
 * await tf.setBackend("cpu");
 * if (fusedBatchNormAvailable()) throw new Error("only on onednn");
 * ```
 */
export function fusedBatchNormAvailable(): boolean {
  return onednnKernelsActive() && tf.getBackend() === "wasm" &&
    tf.getKernel(BATCH_NORM_ACTIVATION, "wasm") !== undefined;
}

/**
 * Training-mode batch normalisation over N, H, W of x [N, H, W, C] with scale γ [C] and shift β
 * [C], then `activation` (LeakyReLU with slope `alpha`, ReLU, or none). Returns y and the batch
 * statistics (mean, biased variance; the caller owns them). Differentiable in x, γ and β.
 */
export function batchNormActivation(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  activation: BlockActivation,
  epsilon: number,
  alpha: number,
): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const attrs = { activation, epsilon, alpha };
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance] = tf.engine().runKernel(
      BATCH_NORM_ACTIVATION,
      { x: xs, gamma: g, beta: b },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    // runKernelFunc tidies the forward function: the statistics leave it kept.
    stats = [tf.keep(mean) as tf.Tensor1D, tf.keep(variance) as tf.Tensor1D];
    save([xs, g, b, mean, variance, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sg, sb, sm, sv, sy] = saved;
        return tf.engine().runKernel(
          BATCH_NORM_ACTIVATION_GRAD,
          { x: sx, gamma: sg, beta: sb, mean: sm, variance: sv, y: sy, dy: dy as tf.Tensor },
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
      },
    };
  });
  const y = op(x, gamma, beta) as tf.Tensor4D;
  return { y, mean: stats![0], variance: stats![1] };
}
