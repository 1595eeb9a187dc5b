/**
 * The one interface between a model and the engine. Training ({@link ../train/trainer.ts}'s
 * `fit`), scoring (`scoreImages`), checkpoints (`saveModel`, `loadModel`), the weight average
 * (`--ema`) and the benchmarks take an {@link AnomalyModel} and know nothing of any model: a
 * model's network, losses, training step and scores live in its own folder (EDE-GAN's in
 * `lib/models/ede_gan/`), as anomalib keeps them, and `model.json` records which model it is
 * (see {@link ./registry.ts}).
 *
 * Images are always NHWC float tensors in [-1, 1]: [batch, imageSize, imageSize, channels].
 *
 * Adding a model (Deep SVDD is the worked example, `lib/models/deep_svdd/`):
 * 1. a folder `lib/models/<name>/` with its configuration, network, losses, training step and
 *    scores, and a class implementing {@link AnomalyModel} (EDE-GAN's `network.ts` is one);
 * 2. one {@link ./registry.ts} line: how a run's settings make it (`--model-kind <name>`) and
 *    how a checkpoint's configuration and tensors rebuild it, so that `loadModel` finds it;
 * 3. nothing else: `deno task train --model-kind <name>` trains it through `fit` (checkpoints,
 *    `--resume`, `--ema`, a NaN loss stopping the run), `score`, `eval` and `report` take its
 *    run, `saveModel` saves it. Deep SVDD's commit touched only its folder, that line and its
 *    test (`tests/models/deep_svdd_test.ts`).
 *
 * What stays EDE-GAN's, in its folder, because it needs EDE-GAN's insides: its side of P-KDGAN
 * (`lib/distill/` is typed on `./distillable.ts`'s `DistillableModel` alone), the
 * BatchNorm-statistics modes and study, the score-kind comparison and the batch-size and latent
 * studies (`lib/models/ede_gan/`), reached from the engine through the registry's optional
 * `finalScoring` (training) and `batchNormScoring` (`deno task score`), and the FLOP accounting
 * of the benchmarks.
 *
 * @module
 */

import type * as tf from "../tf.ts";
import type { Adam } from "../train/adam.ts";
import type { Calibration } from "../score/calibrate.ts";
import type { ImageSet, OneClassSplit } from "../data/types.ts";

/** Named float32 tensors as plain arrays, keyed like a model's variables: a checkpoint's content. */
export type NamedTensors = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * The losses of one training step by name, read back as numbers (every one is checked to be
 * finite and averaged per epoch). A loss a step does not compute is absent, not 0.
 */
export type Losses = Readonly<Record<string, number>>;

/** A model's optimisers by name (`generator`, `discriminator`); checkpoints save each by name. */
export type Optimisers = Record<string, Adam>;

/** Where a training step is in its run: seeds anything the step draws (a re-initialisation). */
export interface StepContext {
  /** The run's seed. */
  seed: number;
  /** This optimisation step's number, counted from 1 over the whole run. */
  step: number;
  /**
   * The batch's images by their index in the training set, in batch order (distillation keys a
   * frozen teacher's outputs by them); absent where the caller does not say.
   */
  indices?: Int32Array;
}

/** What every model's configuration holds: the images it takes. The rest is the model's own. */
export interface ModelConfig {
  /** Side of the square input images, in pixels. */
  imageSize: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
}

/** What a model is asked for when it scores a batch. */
export interface ScoreRequest {
  /** The score kinds to compute, each one of the model's {@link AnomalyModel.scoreKinds}. */
  kinds: readonly string[];
  /** Also return the latent codes (models that have them). */
  latents?: boolean;
  /** Also return the reconstructions (models that make them). */
  reconstructions?: boolean;
  /**
   * Which statistics BatchNorm layers normalise by (models that have them; others ignore it):
   * `moving`, the averages kept in training (default), or `per-image`, each image's own.
   */
  batchNorm?: "moving" | "per-image";
}

/** What a model computes when it scores a batch of n images (inside `tf.tidy`). */
export interface ScoreBatch {
  /** One score per image for each kind asked, [n], higher = more anomalous. */
  scores: Record<string, tf.Tensor1D>;
  /** The latent code of each image, z [n, latent], and of its reconstruction, zHat (if any). */
  latents?: { z: tf.Tensor2D; zHat?: tf.Tensor2D };
  /** The reconstruction of each image, [n, size, size, channels] in [-1, 1]. */
  reconstructions?: tf.Tensor4D;
}

/**
 * A one-class anomaly model as the engine sees it: its configuration, its variables, a training
 * step, scores, and a way to be rebuilt from saved values. `O` is its optimisers, `L` its losses.
 *
 * @example
 * ```ts
 * import type { AnomalyModel } from "./anomaly_model.ts";
 * import { EdeGan } from "./ede_gan/mod.ts";
 * const model: AnomalyModel = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * if (model.name !== "ede-gan" || model.scoreKinds[0] !== "latent") throw new Error();
 * model.dispose();
 * ```
 */
export interface AnomalyModel<O extends Optimisers = Optimisers, L extends Losses = Losses> {
  /** The name it is registered and recorded under (`model` in `model.json`): `ede-gan`. */
  readonly name: string;
  /** Everything that fixes its shape and losses, as JSON (saved in `model.json`). */
  readonly config: ModelConfig;
  /** Every tensor it has, keyed `part/layer/tensor`; a checkpoint saves exactly these. */
  readonly variables: Map<string, tf.Variable>;
  /**
   * Keys of the variables its scores depend on (EDE-GAN: E1, Dec and E2, not D). An average of
   * the weights (`--ema`) averages these and keeps the others live.
   */
  readonly scoringKeys: readonly string[];
  /** The losses the training curve and the progress line follow, with their short labels. */
  readonly curveLosses: Readonly<Record<string, string>>;
  /** The score kinds {@link scoreBatch} computes, its default (the model's anomaly score) first. */
  readonly scoreKinds: readonly string[];
  /** Fresh optimisers over its trainable variables. */
  createOptimisers(): O;
  /**
   * Optional: called once by `fit` before the first step of a fresh run (never on `--resume`:
   * what it sets lives in the variables a checkpoint keeps), with every training image. Deep
   * SVDD fixes its centre c here, the mean of its initial outputs on the training normals.
   */
  beginTraining?(train: ImageSet): Promise<void>;
  /** One optimisation step on a batch of images in [-1, 1]; resolves to its losses. */
  trainStep(images: tf.Tensor4D, optimisers: O, context: StepContext): Promise<L>;
  /** Scores a batch of images in [-1, 1] in inference (see {@link ScoreBatch}). */
  scoreBatch(images: tf.Tensor4D, request: ScoreRequest): ScoreBatch;
  /**
   * A new model of the same kind and configuration holding `tensors` (every variable, by key and
   * shape; errors name a missing or misshapen one). The caller disposes it.
   */
  withValues(tensors: NamedTensors): this;
  /** Frees every tensor it holds. */
  dispose(): void;
}

/**
 * A model's settings as a run gives them (`deno task train`'s `--width`, `--latent`, or any field
 * of the model's configuration): each model reads the ones it knows and refuses, naming the flag,
 * one it has no use for. Image size and channels follow the data.
 */
export type ModelSettings = Readonly<Record<string, unknown>>;

/** What a run scored at its end with its moving statistics, for {@link FinalScoring}. */
export interface FinalScoringInput {
  /** The test scores with the model's moving statistics (the per-epoch curve's), one per image. */
  movingTestScores: Float32Array;
  /** The threshold on the validation normals with them. */
  movingCalibration: Calibration;
  /**
   * The validation normals' scores with them (the threshold's). Given, the result holds the
   * validation scores in the mode used as {@link FinalScoring.valScores} (distillation compares
   * a student's with its teacher's and keeps the student's threshold without scoring again).
   */
  movingValScores?: Float32Array;
  /** The training batch size (statistics recomputed over the training normals use it). */
  batchSize: number;
  /** The calibration's false-positive rate. */
  fpr: number;
}

/**
 * How a run's final metrics were scored (`run.json`'s `scoring`): the BatchNorm statistics used
 * (`moving` for a model without other modes), what was asked, and the test AUC with the moving
 * statistics; a model with more modes (EDE-GAN) adds its choice and the other mode's AUC.
 */
export interface FinalScoring {
  /** The BatchNorm statistics the metrics, threshold and `scores.csv` use. */
  bnStats: string;
  /** What was asked (`--bn-stats`: `auto` or a mode). */
  asked: string;
  /** A choice made on the validation normals (with `auto`). */
  choice?: unknown;
  /** The test ROC AUC with the moving statistics. */
  movingAuc: number;
  /** The test ROC AUC under another mode, reported beside the run's own. */
  other?: { bnStats: string; auc: number };
  /** The threshold on the validation normals in this mode. */
  calibration: Calibration;
  /** The test scores in this mode, one per test image. */
  testScores: Float32Array;
  /**
   * The validation normals' scores in this mode, one per validation image, that `calibration`
   * was set on; present when {@link FinalScoringInput.movingValScores} was given.
   */
  valScores?: Float32Array;
}

/** A model's own way of scoring a freshly trained run under `asked` (see {@link FinalScoring}). */
export type FinalScoringHook = (
  model: AnomalyModel,
  data: OneClassSplit,
  asked: string,
  input: FinalScoringInput,
) => Promise<FinalScoring>;
