/**
 * The guard that narrows an {@link AnomalyModel} to an EDE-GAN, in a file of its own so that the
 * EDE-GAN studies can use it without importing the folder's face (`mod.ts`, which reaches the
 * model registry and would close an import circle).
 *
 * @module
 */

import type { AnomalyModel } from "../anomaly_model.ts";
import { EdeGan } from "./network.ts";

/**
 * `model` as an EDE-GAN, or an error naming `where` and the model it is: for the parts of edegan
 * that need EDE-GAN's insides (distillation, BatchNorm statistics, score kinds).
 *
 * @example
 * ```ts
 * import { asEdeGan } from "./as_ede_gan.ts";
 * import { EdeGan } from "./network.ts";
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * if (asEdeGan(model, "example") !== model) throw new Error();
 * model.dispose();
 * ```
 */
export function asEdeGan(model: AnomalyModel, where: string): EdeGan {
  if (model instanceof EdeGan) return model;
  throw new Error(`${where}: a '${model.name}' model, this needs an EDE-GAN ('ede-gan')`);
}
