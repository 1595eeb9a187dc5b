/**
 * EDE-GAN, one model behind the {@link AnomalyModel} interface: a generator Encoder1 -> Decoder ->
 * Encoder2 and a discriminator, whose anomaly score is the distance between z = E1(x) and
 * z_hat = E2(Dec(z)). The folder holds all of it: its configuration (`config.ts`), the layers of
 * each part (`architecture.ts`), the network (`network.ts`), its losses (`losses.ts`), its training
 * step (`step.ts`), its scores (`score.ts`), its cost in parameters and FLOPs (`cost.ts`) and its
 * narrower copies, the students of a distillation (`narrower.ts`).
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import { EdeGan } from "./mod.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const losses = await model.trainStep(tf.zeros([2, 32, 32, 1]), model.createOptimisers(),
 *   { seed: 1, step: 1 });
 * if (!Number.isFinite(losses.lossG)) throw new Error();
 * model.dispose();
 * ```
 *
 * @module
 */

import type { LoadedModel } from "../../train/checkpoint.ts";
import { loadModel } from "../../train/checkpoint.ts";
import { EdeGan } from "./network.ts";

export { asEdeGan } from "./as_ede_gan.ts";

export {
  blockWidths,
  DEFAULT_CONFIG,
  type EdeGanConfig,
  type LatentConstraint,
  resolveConfig,
  type ScoreDistance,
} from "./config.ts";
export {
  decoderLayers,
  encoderLayers,
  type LayerSpec,
  partLayers,
  type PartName,
  PARTS,
} from "./architecture.ts";
export {
  BN_EPSILON,
  type DiscriminatorOutput,
  EdeGan,
  type GeneratorOutput,
  initialValues,
  LEAKY_SLOPE,
  type Mode,
} from "./network.ts";
export { discriminatorLoss, generatorLoss, latentDistance } from "./losses.ts";
export {
  COLLAPSED_D_LOSS,
  createOptimisers,
  DISCRIMINATOR_PARTS,
  type EdeGanOptimisers,
  GENERATOR_PARTS,
  type StepLosses,
  type StepOptions,
  trainStep,
} from "./step.ts";
export { SCORE_KINDS, scoreEdeGan, type ScoreKind } from "./score.ts";
export { compressionRatio, layerCost, type ModelCost, modelCost, type PartCost } from "./cost.ts";
export { narrowerCosts, scoringPathCost, studentConfig } from "./narrower.ts";

/**
 * Loads a model folder (see `loadModel`) that must hold an EDE-GAN; another model is an error
 * naming the folder.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import { saveModel } from "../../train/checkpoint.ts";
 * import { EdeGan, loadEdeGan } from "./mod.ts";
 * await tf.setBackend("cpu");
 * const dir = await Deno.makeTempDir();
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * await saveModel(dir, model);
 * const { model: again } = await loadEdeGan(dir);
 * if (again.config.width !== 2) throw new Error();
 * again.dispose();
 * model.dispose();
 * ```
 */
export async function loadEdeGan(
  dir: string,
  opts: { weights?: "averaged" | "live" } = {},
): Promise<LoadedModel<EdeGan>> {
  const loaded = await loadModel(dir, opts);
  if (!(loaded.model instanceof EdeGan)) {
    loaded.model.dispose();
    throw new Error(`${dir}: holds a '${loaded.model.name}' model, this needs an EDE-GAN`);
  }
  return { ...loaded, model: loaded.model };
}
