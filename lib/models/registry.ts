/**
 * The models by name, the one place the engine learns of them: a run chooses its model by name
 * (`deno task train --model-kind`) and {@link createModel} makes it; `model.json` and `run.json`
 * record the name, and {@link modelFromTensors} rebuilds it from its configuration and saved
 * tensors; {@link finalScoring} scores a freshly trained run the model's own way, and
 * {@link batchNormScoringOf} gives `deno task score` its BatchNorm modes. Each model has
 * one line here (or registers itself once with {@link registerModel}, as a tfjs kernel does). A
 * `model.json` written before models had names holds an EDE-GAN ({@link DEFAULT_MODEL}).
 *
 * @module
 */

import type {
  AnomalyModel,
  FinalScoring,
  FinalScoringInput,
  ModelSettings,
  NamedTensors,
} from "./anomaly_model.ts";
import type { OneClassSplit } from "../data/types.ts";
import { rocAuc } from "../metrics/mod.ts";
import { defaultFinalBatchNorm } from "./ede_gan/final_batch_norm.ts";
import { EdeGan } from "./ede_gan/network.ts";
import type { EdeGanConfig } from "./ede_gan/config.ts";
import { checkFinalBatchNorm, finalBatchNormScoring } from "./ede_gan/final_batch_norm.ts";
import { DEEP_SVDD } from "./deep_svdd/mod.ts";
import type { BatchNormScoring } from "./batch_norm_scoring.ts";
import { EDE_GAN_BATCH_NORM_SCORING } from "./ede_gan/batch_norm_scoring.ts";

// `ModelEntry` lives in its own file, so that a model's folder can type its entry without
// importing the registry (which imports every built-in model: a circle).
export type { ModelEntry } from "./model_entry.ts";
import type { ModelEntry } from "./model_entry.ts";

/** The model of a `model.json` that names none: every checkpoint written before names were. */
export const DEFAULT_MODEL = "ede-gan";

const MODELS = new Map<string, ModelEntry>([
  [EdeGan.NAME, {
    name: EdeGan.NAME,
    create: (settings, images, seed) =>
      EdeGan.create({ ...settings, ...images } as Partial<EdeGanConfig>, seed),
    fromTensors: (config, tensors) =>
      EdeGan.fromTensors(config as Partial<EdeGan["config"]>, tensors),
    defaultFinalScoring: defaultFinalBatchNorm,
    finalScoring: {
      check: (asked) => void checkFinalBatchNorm(asked),
      score: (model, data, asked, input) =>
        finalBatchNormScoring(model, data, checkFinalBatchNorm(asked), input),
    },
    batchNormScoring: EDE_GAN_BATCH_NORM_SCORING,
  }],
  [DEEP_SVDD.name, DEEP_SVDD],
]);

/**
 * Registers a model under its name, so that checkpoints recording it load. A name is registered
 * once; registering it again is an error.
 *
 * @example
 * ```ts
 * import { registeredModels, registerModel } from "./registry.ts";
 * const unused = () => { throw new Error("unused"); };
 * registerModel({ name: "example-model", create: unused, fromTensors: unused });
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

/** The entry of `name`; an unknown name is an error naming `flag` and the registered ones. */
function entryOf(name: string, flag?: string): ModelEntry {
  const entry = MODELS.get(name);
  if (!entry) {
    throw new Error(
      `${flag ? `${flag}: ` : ""}unknown model '${name}'; this edegan knows ` +
        `${registeredModels().join(", ")} (a plugin's model is registered by ` +
        "EDEGAN_PLUGINS=module.ts)",
    );
  }
  return entry;
}

/**
 * `name` if it is a registered model, else an error naming `--model-kind` and the registered ones
 * (checked before any data is loaded).
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { checkModelKind } from "./registry.ts";
 * assertEquals(checkModelKind("ede-gan"), "ede-gan");
 * assertThrows(() => checkModelKind("gan"), Error, "--model-kind: unknown model 'gan'");
 * ```
 */
export function checkModelKind(name: string): string {
  return entryOf(name, "--model-kind").name;
}

/**
 * A new model of kind `name` (`--model-kind`) with `settings` for images of this size and
 * channels, its weights drawn from `seed`; an unknown name is an error naming `--model-kind`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { createModel } from "./registry.ts";
 * const model = createModel("ede-gan", { width: 2, latentSize: 4 }, { imageSize: 32, channels: 1 }, 0);
 * assertEquals([model.name, model.config.imageSize], ["ede-gan", 32]);
 * model.dispose();
 * ```
 */
export function createModel(
  name: string,
  settings: ModelSettings,
  images: { imageSize: number; channels: number },
  seed: number,
): AnomalyModel {
  return entryOf(name, "--model-kind").create(settings, images, seed);
}

/**
 * Checks before training that a model of kind `name` can be scored under `--bn-stats asked`:
 * every model can with `moving` (registered or not), other values need a registered model with
 * its own final scoring.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { checkFinalScoring } from "./registry.ts";
 * checkFinalScoring("ede-gan", "auto");
 * assertThrows(() => checkFinalScoring("ede-gan", "sometimes"), Error, "--bn-stats");
 * ```
 */
export function checkFinalScoring(name: string, asked: string): void {
  const own = MODELS.get(name)?.finalScoring;
  if (own) return own.check(asked);
  if (asked !== "moving") {
    throw new Error(
      `--bn-stats ${asked}: a '${name}' model is scored with its moving statistics only ` +
        "(--bn-stats moving)",
    );
  }
}

/**
 * What a run of kind `name` at `batchSize` scores with when `--bn-stats` is not given: the
 * model's own default (EDE-GAN: `auto` at batch size 1, else `moving`), or `moving` for a model
 * without one.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { defaultFinalScoring } from "./registry.ts";
 * assertEquals(defaultFinalScoring("ede-gan", 1), "auto");
 * assertEquals([defaultFinalScoring("ede-gan", 16), defaultFinalScoring("deep-svdd", 1)], ["moving", "moving"]);
 * ```
 */
export function defaultFinalScoring(name: string, batchSize: number): string {
  return MODELS.get(name)?.defaultFinalScoring?.(batchSize) ?? "moving";
}

/**
 * Whether a model of kind `name` has scoring modes of its own beyond its moving statistics
 * (EDE-GAN: BatchNorm modes and score kinds for `deno task score`); false for any other.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { hasOwnFinalScoring } from "./registry.ts";
 * assertEquals([hasOwnFinalScoring("ede-gan"), hasOwnFinalScoring("no-such-model")], [true, false]);
 * ```
 */
export function hasOwnFinalScoring(name: string): boolean {
  return MODELS.get(name)?.finalScoring !== undefined;
}

/**
 * The BatchNorm modes a saved model of kind `name` offers `deno task score` beyond its moving
 * statistics (its registry entry's {@link ModelEntry.batchNormScoring}), or undefined for a model
 * scored with its moving statistics only (and for an unregistered name).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { batchNormScoringOf } from "./registry.ts";
 * assertEquals(batchNormScoringOf("ede-gan")?.runMode({ training: { batchSize: 64 } }), "moving");
 * assertEquals(batchNormScoringOf("deep-svdd"), undefined);
 * ```
 */
export function batchNormScoringOf(name: string): BatchNormScoring | undefined {
  return MODELS.get(name)?.batchNormScoring;
}

/**
 * Scores a freshly trained run's test set the model's way under `asked` (`--bn-stats`): the
 * model's own {@link ModelEntry.finalScoring}, or, for a model without it, the given moving
 * scores and calibration untouched (`asked` must then be `moving`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { finalScoring } from "./registry.ts";
 * import type { AnomalyModel } from "./anomaly_model.ts";
 * import type { OneClassSplit } from "../data/types.ts";
 * const model = { name: "a-model-without-modes" } as AnomalyModel;
 * const data = { testIsAnomaly: new Uint8Array([0, 1]) } as OneClassSplit;
 * const calibration = { threshold: 0.5, fpr: 0.05, min: 0, max: 1, count: 20 };
 * const input = { movingTestScores: new Float32Array([0.1, 0.9]), movingCalibration: calibration,
 *   batchSize: 1, fpr: 0.05 };
 * const scoring = await finalScoring(model, data, "moving", input);
 * assertEquals([scoring.bnStats, scoring.movingAuc], ["moving", 1]);
 * ```
 */
export function finalScoring(
  model: AnomalyModel,
  data: OneClassSplit,
  asked: string,
  input: FinalScoringInput,
): Promise<FinalScoring> {
  const own = MODELS.get(model.name)?.finalScoring;
  if (own) return own.score(model, data, asked, input);
  checkFinalScoring(model.name, asked);
  return Promise.resolve({
    bnStats: "moving",
    asked,
    movingAuc: rocAuc(input.movingTestScores, data.testIsAnomaly),
    calibration: input.movingCalibration,
    testScores: input.movingTestScores,
    ...(input.movingValScores ? { valScores: input.movingValScores } : {}),
  });
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
  return entryOf(name).fromTensors(config, tensors);
}
