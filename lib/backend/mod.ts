/**
 * Starting a tfjs backend (`selectBackend`: onednn, wasm, WebGPU, native TensorFlow or cpu) with
 * this toolkit's training kernels registered, and the kernel internals that the kernel
 * benchmark (lib/bench) times against the stock kernels.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { BACKENDS, parseBackendChoice } from "./mod.ts";
 * assertEquals(parseBackendChoice("wasm"), "wasm");
 * assertEquals(BACKENDS.includes("onednn"), true);
 * ```
 *
 * @module
 */
export {
  type BackendChoice,
  type BackendName,
  type BackendOptions,
  BACKENDS,
  type BackendSelection,
  BackendUnavailableError,
  defaultBackendChoice,
  parseBackendChoice,
  selectBackend,
} from "./select.ts";
export { registerWasmTrainingKernels } from "./wasm_kernels/register.ts";
export { KERNELS, type KernelVariant, registeredVariant, registerKernels } from "./kernels.ts";
// Kernel internals, for the kernel benchmark: the stock wasm kernel a training kernel replaces,
// a convolution's geometry, and the oneDNN library.
export { stockKernel } from "./wasm_kernels/_ops.ts";
export { type ConvGeometry, convGeometry } from "./wasm_kernels/_geometry.ts";
export { loadDnnl } from "./onednn/_ffi.ts";
