/**
 * The models by name, for loading: `model.json` records a model's `name` (`ede-gan`), and
 * {@link modelFromTensors} rebuilds it from its configuration and saved tensors. EDE-GAN is
 * registered here; another model registers itself once with {@link registerModel}, as a tfjs
 * kernel does. A `model.json` written before models had names holds an EDE-GAN
 * ({@link DEFAULT_MODEL}).
 *
 * @module
 */

import type { AnomalyModel, NamedTensors } from "./anomaly_model.ts";
import { EdeGan } from "./ede_gan/network.ts";

/** How to rebuild a model of one name from what a checkpoint holds. */
export interface ModelEntry {
  /** The name `model.json` records (the model's {@link AnomalyModel.name}). */
  name: string;
  /**
   * The model with `config` (as saved; defaults filled in) holding `tensors`. Errors name the
   * configuration field or tensor that does not fit.
   */
  fromTensors(config: unknown, tensors: NamedTensors): AnomalyModel;
}

/** The model of a `model.json` that names none: every checkpoint written before names were. */
export const DEFAULT_MODEL = "ede-gan";

const MODELS = new Map<string, ModelEntry>([
  [EdeGan.NAME, {
    name: EdeGan.NAME,
    fromTensors: (config, tensors) =>
      EdeGan.fromTensors(config as Partial<EdeGan["config"]>, tensors),
  }],
]);

/**
 * Registers a model under its name, so that checkpoints recording it load. A name is registered
 * once; registering it again is an error.
 *
 * @example
 * ```ts
 * import { registeredModels, registerModel } from "./registry.ts";
 * registerModel({ name: "example-model", fromTensors: () => { throw new Error("unused"); } });
 * if (!registeredModels().includes("example-model")) throw new Error();
 * ```
 */
export function registerModel(entry: ModelEntry): void {
  if (MODELS.has(entry.name)) throw new Error(`model '${entry.name}' is already registered`);
  MODELS.set(entry.name, entry);
}

/**
 * The names of every registered model, `ede-gan` first.
 *
 * @example
 * ```ts
 * import { registeredModels } from "./registry.ts";
 * if (registeredModels()[0] !== "ede-gan") throw new Error();
 * ```
 */
export function registeredModels(): string[] {
  return [...MODELS.keys()];
}

/**
 * Rebuilds the model called `name` from its configuration and tensors; an unknown name is an
 * error naming the registered ones.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "./ede_gan/mod.ts";
 * import { modelFromTensors } from "./registry.ts";
 * import type { NamedTensors } from "./anomaly_model.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const tensors: NamedTensors = new Map();
 * for (const [key, v] of model.variables) {
 *   tensors.set(key, { shape: v.shape, data: v.dataSync() as Float32Array });
 * }
 * const again = modelFromTensors("ede-gan", model.config, tensors);
 * if (again.variables.size !== model.variables.size) throw new Error();
 * again.dispose();
 * model.dispose();
 * ```
 */
export function modelFromTensors(
  name: string,
  config: unknown,
  tensors: NamedTensors,
): AnomalyModel {
  const entry = MODELS.get(name);
  if (!entry) {
    throw new Error(
      `unknown model '${name}'; this edegan knows ${registeredModels().join(", ")}`,
    );
  }
  return entry.fromTensors(config, tensors);
}
