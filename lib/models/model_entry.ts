/**
 * A model's registry entry (`ModelEntry`): how to create it, rebuild it from a checkpoint and score
 * a finished run. A model's folder types its entry with it (`export const MY_MODEL: ModelEntry`)
 * and `lib/models/registry.ts` lists it (or `registerModel` adds it at run time); kept apart from
 * the registry so that importing the type makes no import circle (the registry imports every
 * built-in model).
 *
 * @module
 */

import type {
  AnomalyModel,
  FinalScoringHook,
  ModelSettings,
  NamedTensors,
} from "./anomaly_model.ts";
import type { BatchNormScoring } from "./batch_norm_scoring.ts";

/** How to rebuild a model of one name from what a checkpoint holds. */
export interface ModelEntry {
  /** The name `model.json` records (the model's {@link AnomalyModel.name}). */
  name: string;
  /**
   * A new model with `settings` (see {@link ModelSettings}) for images of this size and channels,
   * its weights drawn from `seed`. Errors name the flag or field that does not fit.
   */
  create(
    settings: ModelSettings,
    images: { imageSize: number; channels: number },
    seed: number,
  ): AnomalyModel;
  /**
   * The model with `config` (as saved; defaults filled in) holding `tensors`. Errors name the
   * configuration field or tensor that does not fit.
   */
  fromTensors(config: unknown, tensors: NamedTensors): AnomalyModel;
  /**
   * What a run at `batchSize` scores with when `--bn-stats` is not given (see
   * `defaultFinalScoring` of the registry); a model without it scores with its moving statistics.
   */
  defaultFinalScoring?(batchSize: number): string;
  /**
   * How a freshly trained run is scored under `--bn-stats` (EDE-GAN: its BatchNorm modes), with
   * the check of a value before training; a model without it scores with its moving statistics
   * only.
   */
  finalScoring?: { check(asked: string): void; score: FinalScoringHook };
  /**
   * The BatchNorm modes `deno task score --bn-stats` may ask of a saved run beyond `moving` (see
   * {@link BatchNormScoring}); a model without it is scored with its moving statistics only.
   */
  batchNormScoring?: BatchNormScoring;
}
