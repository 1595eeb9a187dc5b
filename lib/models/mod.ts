/**
 * The models: the `AnomalyModel` interface that training, scoring and checkpoints take, and the
 * registry that rebuilds a saved model by its name. Each model is a folder of its own
 * (`ede_gan/`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_MODEL, registeredModels } from "./mod.ts";
 * assertEquals(registeredModels().includes(DEFAULT_MODEL), true);
 * ```
 *
 * @module
 */
export * from "./anomaly_model.ts";
export * from "./registry.ts";
export * from "./distillable.ts";
export * from "./batch_norm_scoring.ts";
