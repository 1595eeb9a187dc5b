/**
 * The names of the tfjs backends this toolkit can run on, apart from the code that starts them, so
 * that the command-line flags can list them without loading tfjs.
 *
 * @module
 */

/** A backend this toolkit can run on. */
export type BackendName = "tensorflow-gpu" | "tensorflow" | "webgpu" | "onednn" | "wasm" | "cpu";
/** A backend name, or `auto` for the first one that starts. */
export type BackendChoice = BackendName | "auto";

/**
 * Every backend, in the order `auto` tries them.
 *
 * @example
 * ```ts
 * import { BACKENDS } from "./names.ts";
 * if (BACKENDS[0] !== "tensorflow-gpu" || BACKENDS.at(-1) !== "cpu") throw new Error("order");
 * ```
 */
export const BACKENDS: readonly BackendName[] = [
  "tensorflow-gpu",
  "tensorflow",
  "webgpu",
  "onednn",
  "wasm",
  "cpu",
];
