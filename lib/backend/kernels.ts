/**
 * Every kernel edegan adds to or replaces in tfjs's wasm backend, in one list, and which of the
 * two variants of that backend runs which: `wasm` (edegan's wasm kernels) and `onednn` (the wasm
 * backend with its convolutions, BatchNorm and activations on oneDNN). tfjs knows one backend
 * name, `wasm`, for both; {@link registerKernels} puts one variant's kernels in tfjs's registry.
 * Ops (`lib/ops/`) ask only that registry whether a kernel exists.
 *
 * Order-free: each replaced stock kernel is kept the first time its name is met, whatever the
 * order of the list or of the calls, and every entry says its kernel for each variant outright
 * (no kernel wraps whatever was registered before it).
 *
 * @module
 */

import * as tf from "../tf.ts";
import "@tensorflow/tfjs-backend-wasm";
import { setStockKernel } from "./wasm_kernels/_ops.ts";
import { shareSavedTensors } from "./saved_tensors.ts";
import { conv2DConfig } from "./wasm_kernels/conv2d.ts";
import { conv2DBackpropInputConfig } from "./wasm_kernels/conv2d_backprop_input.ts";
import { conv2DBackpropFilterConfig } from "./wasm_kernels/conv2d_backprop_filter.ts";
import { tileConfig } from "./wasm_kernels/tile.ts";
import { sqrtConfig } from "./wasm_kernels/sqrt.ts";
import { identityConfig } from "./wasm_kernels/identity.ts";
import { adamUpdateConfig } from "./wasm_kernels/adam_update.ts";
import { adamUpdateFlatConfig } from "./wasm_kernels/adam_update_flat.ts";
import { movingAveragesConfig } from "./wasm_kernels/moving_averages.ts";
import { realFakeCrossEntropyConfigs } from "./wasm_kernels/real_fake_cross_entropy.ts";
import { generatorLossConfigs } from "./wasm_kernels/generator_loss.ts";
import { scoringKernelConfigs } from "./wasm_kernels/scoring.ts";
import { onednnConvolutionKernel } from "./onednn/kernels.ts";
import { onednnAdamUpdateFlat } from "./onednn/adam_kernels.ts";
import {
  activationConfig,
  activationGradConfig,
  batchNormActivationConfig,
  batchNormActivationGradConfig,
} from "./onednn/batch_norm_kernels.ts";

/** A variant of the wasm backend. */
export type KernelVariant = "wasm" | "onednn";

/**
 * One kernel name and its function on each variant; a variant without one runs tfjs's stock
 * kernel of that name, or has none.
 */
export interface KernelEntry {
  kernelName: string;
  wasm?: tf.KernelFunc;
  onednn?: tf.KernelFunc;
}

const both = (config: tf.KernelConfig): KernelEntry => ({
  kernelName: config.kernelName,
  wasm: config.kernelFunc,
  onednn: config.kernelFunc,
});

const convolution = (
  config: tf.KernelConfig,
  direction: "forward" | "backwardData" | "backwardWeights",
): KernelEntry => ({
  kernelName: config.kernelName,
  wasm: config.kernelFunc,
  onednn: onednnConvolutionKernel(direction, config.kernelFunc),
});

const onednnOnly = (config: tf.KernelConfig): KernelEntry => ({
  kernelName: config.kernelName,
  onednn: config.kernelFunc,
});

/**
 * The list: the three convolutions (wasm kernels; on onednn, oneDNN where it serves the shape),
 * a block-copying `Tile` (BatchNorm's gradient), a SIMD `Sqrt`, an `Identity` that shares its
 * input's data, the one-pass Adam kernels (the flat one, on onednn, native code on oneDNN's
 * threads: `onednn/native_adam.ts`), BatchNorm's running averages in one call, the
 * generator's and the discriminator's losses and their gradients (one call each way), the scoring
 * kernels (`wasm_kernels/scoring.ts`: inference only, never called in training), and oneDNN's
 * BatchNorm+activation and activation.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { KERNELS } from "./kernels.ts";
 * assertEquals(KERNELS.filter((k) => k.wasm === undefined).length, 4);
 * ```
 */
export const KERNELS: readonly KernelEntry[] = [
  convolution(conv2DConfig, "forward"),
  convolution(conv2DBackpropInputConfig, "backwardData"),
  convolution(conv2DBackpropFilterConfig, "backwardWeights"),
  both(tileConfig),
  both(sqrtConfig),
  both(identityConfig),
  both(adamUpdateConfig),
  {
    kernelName: adamUpdateFlatConfig.kernelName,
    wasm: adamUpdateFlatConfig.kernelFunc,
    onednn: onednnAdamUpdateFlat(adamUpdateFlatConfig.kernelFunc),
  },
  both(movingAveragesConfig),
  ...realFakeCrossEntropyConfigs.map(both),
  ...generatorLossConfigs.map(both),
  ...scoringKernelConfigs.map(both),
  onednnOnly(batchNormActivationConfig),
  onednnOnly(batchNormActivationGradConfig),
  onednnOnly(activationConfig),
  onednnOnly(activationGradConfig),
];

/** The stock kernel of each name in the list, taken the first time the name is met. */
const stock = new Map<string, tf.KernelConfig | null>();
let registered: KernelVariant | undefined;

/**
 * Puts `variant`'s kernels in tfjs's registry for the wasm backend (before or after
 * `tf.setBackend("wasm")`); calling it again with the other variant switches every kernel. From
 * then on, tensors saved for a gradient on the wasm backend are shared without an `Identity` call
 * (`saved_tensors.ts`).
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertEquals } from "@std/assert";
 * import { registerKernels, registeredVariant } from "./kernels.ts";
 * await tf.setBackend("wasm");
 * registerKernels("wasm");
 * assertEquals(registeredVariant(), "wasm");
 * assertEquals(tf.getKernel("EdeganBatchNormActivation", "wasm"), undefined);
 * ```
 */
export function registerKernels(variant: KernelVariant): void {
  if (registered === variant) return;
  for (const entry of KERNELS) {
    const name = entry.kernelName;
    if (!stock.has(name)) {
      const original = tf.getKernel(name, "wasm") ?? null;
      stock.set(name, original);
      if (original !== null) setStockKernel(name, original.kernelFunc);
    }
    const original = stock.get(name) ?? undefined;
    const kernelFunc = entry[variant] ?? original?.kernelFunc;
    if (tf.getKernel(name, "wasm") !== undefined) tf.unregisterKernel(name, "wasm");
    if (kernelFunc === undefined) continue;
    // The stock setup binds the wasm function a fallback calls; keep it running whenever a
    // wasm backend is initialised.
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      kernelFunc,
      setupFunc: original?.setupFunc,
    });
  }
  // Both variants' Identity shares its input's data: the tensors saved for a gradient can be
  // shared without dispatching it (`saved_tensors.ts`).
  shareSavedTensors();
  registered = variant;
}

/**
 * The variant whose kernels are registered, or undefined before {@link registerKernels}.
 *
 * @example
 * ```ts
 * import { registeredVariant } from "./kernels.ts";
 * console.log(registeredVariant() ?? "stock wasm kernels only");
 * ```
 */
export function registeredVariant(): KernelVariant | undefined {
  return registered;
}
