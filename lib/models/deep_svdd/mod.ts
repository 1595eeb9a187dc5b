/**
 * Deep SVDD, the toolkit's second model and its one-class baseline (Ruff, Vandermeulen, Görnitz,
 * Deecke, Siddiqui, Binder, Müller and Kloft, "Deep One-Class Classification", ICML 2018): an
 * encoder phi without biases trained to pull the training normals to a fixed centre c, scored by
 * ||phi(x) - c||^2. Its configuration (`config.ts`), objective, score and centre (`losses.ts`)
 * and network (`network.ts`) are all here; `lib/models/registry.ts` holds its one line, so
 * `deno task train --model-kind deep-svdd`, `score`, `eval` and `report` take it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import { DeepSvdd } from "./mod.ts";
 * await tf.setBackend("cpu");
 * const model = DeepSvdd.create({ widths: [2, 2], representation: 4 }, 1);
 * const losses = await model.trainStep(tf.randomUniform([4, 32, 32, 1], -1, 1), model.createOptimisers());
 * assertEquals(Number.isFinite(losses.loss), true);
 * model.dispose();
 * ```
 *
 * @module
 */

export {
  configFromSettings,
  type DeepSvddConfig,
  DEFAULT_CONFIG,
  resolveConfig,
} from "./config.ts";
export { centreFromSum, distanceToCentre, oneClassLoss, weightDecay } from "./losses.ts";
import type { ModelSettings, NamedTensors } from "../anomaly_model.ts";
import type { ModelEntry } from "../model_entry.ts";
import { configFromSettings, type DeepSvddConfig } from "./config.ts";
import { DeepSvdd } from "./network.ts";

export {
  contrastNormalise,
  DeepSvdd,
  type DeepSvddLosses,
  type DeepSvddOptimisers,
  initialValues,
  type Mode,
} from "./network.ts";

/**
 * Deep SVDD's entry in `lib/models/registry.ts`: its name, how `--model-kind deep-svdd` makes one
 * from a run's settings (`configFromSettings`), and how a checkpoint rebuilds it. It scores with
 * its moving BatchNorm statistics only (no `finalScoring`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEEP_SVDD } from "./mod.ts";
 * const model = DEEP_SVDD.create({ width: 4 }, { imageSize: 28, channels: 1 }, 0);
 * assertEquals([model.name, model.config.imageSize], ["deep-svdd", 28]);
 * model.dispose();
 * ```
 */
export const DEEP_SVDD = {
  name: DeepSvdd.NAME,
  create: (
    settings: ModelSettings,
    images: { imageSize: number; channels: number },
    seed: number,
  ): DeepSvdd => DeepSvdd.create(configFromSettings(settings, images), seed),
  fromTensors: (config: unknown, tensors: NamedTensors): DeepSvdd =>
    DeepSvdd.fromTensors(config as Partial<DeepSvddConfig>, tensors),
} satisfies ModelEntry;
