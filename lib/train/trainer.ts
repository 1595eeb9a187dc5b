/**
 * The training loop, for any {@link AnomalyModel}: epochs of seeded shuffled batches, one
 * training step of the model per batch, an optional evaluation after each epoch, and an atomic
 * checkpoint after each epoch from which `resume` continues exactly. The loop knows no model: the
 * step, its losses and its optimisers are the model's.
 *
 * @module
 */

import type * as tf from "../tf.ts";
import type { AnomalyModel, Losses, NamedTensors, StepContext } from "../models/anomaly_model.ts";
import type { ImageSet } from "../data/types.ts";
import { batchIndices, batchTensor } from "../data/batches.ts";
import { loadEmaState, loadModel, loadTrainingState, saveModel } from "./checkpoint.ts";
import { type EmaState, GeneratorEma } from "./ema.ts";
import { type ProgressSink, silentProgress } from "../util/progress.ts";
import { exists } from "../util/atomic.ts";

/** The optimisers of a model. */
export type OptimisersOf<M extends AnomalyModel> = ReturnType<M["createOptimisers"]>;
/** The losses of a model's training step. */
export type LossesOf<M extends AnomalyModel> = Awaited<ReturnType<M["trainStep"]>>;

/**
 * What one epoch did: the mean of each of the model's losses over the epoch's steps (EDE-GAN:
 * `lossG`, `lossD`, `adversarial`, `contextual`, `latent`, and `distillation` in distillation
 * runs), and the fields below.
 */
export type EpochRecord<L extends Losses = Losses> = L & {
  epoch: number;
  /** Test ROC AUC after this epoch, when an evaluator was given (a curve, never a selection). */
  auc?: number;
  /**
   * With `--ema`, the test ROC AUC of the live (not averaged) weights after this epoch: the figure
   * a run without `--ema` would record, since the average never feeds back into training. `auc` is
   * then the averaged model's, so each run measures both on one training trajectory.
   */
  liveAuc?: number;
  seconds: number;
  imagesPerSecond: number;
};

/** The model's curve losses (EDE-GAN: `lossG`, `lossD`) averaged over a few steps, for curves. */
export type StepRecord = Losses & {
  step: number;
  epoch: number;
};

/** A training step as {@link fit} runs it: the model's own, or one given (distillation). */
export type StepFunction<M extends AnomalyModel> = (
  images: tf.Tensor4D,
  optimisers: OptimisersOf<M>,
  context: StepContext,
) => Promise<LossesOf<M>>;

/** Options of {@link fit}. */
export interface FitOptions<M extends AnomalyModel = AnomalyModel> {
  epochs: number;
  batchSize: number;
  /** Seeds the batch order (with the epoch number) and what steps draw (re-initialisations). */
  seed: number;
  /**
   * Called after each epoch; returns the test AUC to record. When it throws, the epoch is still
   * checkpointed (`checkpointDir`) before the error, naming the checkpoint, goes up.
   */
  evaluate?: (model: M, epoch: number) => number | Promise<number>;
  /** Where to checkpoint after each epoch (a model folder with training state). */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir`, if there is one. */
  resume?: boolean;
  /**
   * Continue after this finished epoch and step, the model's and optimisers' state restored by
   * the caller (distillation keeps checkpoints of its own, with the teacher and projection).
   */
  startAt?: { epoch: number; step: number };
  /** Progress in steps. */
  progress?: ProgressSink;
  /** Called after each step (tests use it to plant faults; notebooks to plot live). */
  onStep?: (step: number, losses: LossesOf<M>) => void;
  /** Called after each epoch's checkpoint, with the live model. */
  onEpoch?: (record: EpochRecord<LossesOf<M>>, model: M) => void | Promise<void>;
  /** Steps per point of the step curve (default: about 200 points per run). */
  curveEvery?: number;
  /** Optimisers to use (default: fresh ones from the model's `createOptimisers`). */
  optimisers?: OptimisersOf<M>;
  /** The step to run on each batch (default: the model's `trainStep`; distillation passes its own). */
  step?: StepFunction<M>;
  /**
   * Keep an exponential moving average of the weights scoring uses, with this decay (`--ema`, off
   * when absent; see {@link GeneratorEma}); each epoch's evaluation and checkpoint then use it.
   */
  ema?: number;
  /**
   * Losses beyond the model's `curveLosses` that `step` returns, by name and label, shown on the
   * progress line when a step returns them (distillation: `{ distillation: "K" }`).
   */
  progressLosses?: Readonly<Record<string, string>>;
}

/** What {@link fit} leaves. */
export interface FitResult<M extends AnomalyModel = AnomalyModel> {
  history: EpochRecord<LossesOf<M>>[];
  steps: StepRecord[];
  /** The epoch training started from (0 unless resumed). */
  resumedFrom: number;
  optimisers: OptimisersOf<M>;
  /** The weight average, with `ema` (the caller disposes it). */
  ema?: GeneratorEma;
}

/** Thrown when a loss becomes NaN or infinite; the last good checkpoint stays as it was. */
export class DivergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DivergenceError";
  }
}

/**
 * Trains a model on a set of normal images: any {@link AnomalyModel}, by its own training step
 * (or `opts.step`). A loss that is NaN or infinite stops training ({@link DivergenceError}).
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { fit } from "./trainer.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const set = { pixels: new Uint8Array(4 * 32 * 32), labels: new Int32Array(4), count: 4,
 *   height: 32, width: 32, channels: 1 };
 * const { history } = await fit(model, set, { epochs: 1, batchSize: 2, seed: 1 });
 * if (history.length !== 1 || !(history[0].lossG > 0)) throw new Error();
 * model.dispose();
 * ```
 */
export async function fit<M extends AnomalyModel>(
  model: M,
  train: ImageSet,
  opts: FitOptions<M>,
): Promise<FitResult<M>> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize: expected a positive integer, got ${batchSize}`);
  }
  if (train.count < batchSize) {
    throw new Error(`only ${train.count} training images for a batch size of ${batchSize}`);
  }
  const optimisers = opts.optimisers ?? model.createOptimisers() as OptimisersOf<M>;
  const runStep: StepFunction<M> = opts.step ??
    ((images, o, context) => model.trainStep(images, o, context) as Promise<LossesOf<M>>);
  let history: EpochRecord<LossesOf<M>>[] = [];
  let steps: StepRecord[] = [];
  let step = 0;
  let startEpoch = 0;
  let emaState: EmaState | null = null;
  if (opts.startAt) ({ epoch: startEpoch, step } = opts.startAt);
  if (opts.resume && opts.checkpointDir && await exists(`${opts.checkpointDir}/trainer.json`)) {
    let state: Awaited<ReturnType<typeof loadTrainingState>>;
    try {
      emaState = await restoreCheckpoint(model, opts.checkpointDir, opts.ema);
      state = await loadTrainingState(opts.checkpointDir, { ...optimisers });
    } catch (error) {
      // Optimisers made here are not the caller's to free.
      if (!opts.optimisers) { for (const o of Object.values(optimisers)) o.dispose(); }
      throw damagedCheckpoint(error as Error, opts.checkpointDir);
    }
    if (state) {
      startEpoch = state.epoch;
      step = state.step;
      history = (state.extra.history as EpochRecord<LossesOf<M>>[]) ?? [];
      steps = (state.extra.steps as StepRecord[]) ?? [];
    }
  }
  // A fresh run (no checkpoint, no distillation's later stage) lets the model look at its data
  // first; the weight average then starts from what that set.
  if (step === 0 && startEpoch === 0 && model.beginTraining) {
    try {
      await model.beginTraining(train);
    } catch (error) {
      if (!opts.optimisers) { for (const o of Object.values(optimisers)) o.dispose(); }
      throw error;
    }
  }
  const ema = opts.ema !== undefined
    ? new GeneratorEma(model, opts.ema, emaState ?? undefined)
    : undefined;
  try {
    return await runEpochs(model, train, opts, {
      optimisers,
      runStep,
      history,
      steps,
      step,
      startEpoch,
      ema,
    });
  } catch (error) {
    ema?.dispose();
    throw error;
  }
}

/** The epochs of {@link fit}, from `startEpoch`. */
async function runEpochs<M extends AnomalyModel>(
  model: M,
  train: ImageSet,
  opts: FitOptions<M>,
  state: {
    optimisers: OptimisersOf<M>;
    runStep: StepFunction<M>;
    history: EpochRecord<LossesOf<M>>[];
    steps: StepRecord[];
    step: number;
    startEpoch: number;
    ema?: GeneratorEma;
  },
): Promise<FitResult<M>> {
  const { epochs, batchSize, seed, progress = silentProgress } = opts;
  const { optimisers, runStep, history, steps, startEpoch, ema } = state;
  const curveLosses = Object.entries(model.curveLosses);
  const shownLosses = [...curveLosses, ...Object.entries(opts.progressLosses ?? {})];
  let step = state.step;
  const stepsPerEpoch = Math.floor(train.count / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  const curveEvery = opts.curveEvery ?? Math.max(1, Math.round(totalSteps / 200));
  for (let epoch = startEpoch + 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    // Each loss's sum over the epoch, in the order the steps give them.
    const sums = new Map<string, number>();
    let curve = new Map<string, number>();
    let curveCount = 0;
    let done = 0;
    for (
      const indices of batchIndices(train.count, batchSize, {
        shuffle: true,
        seed,
        epoch,
        dropLast: true,
      })
    ) {
      const images = batchTensor(train, indices);
      let losses: LossesOf<M>;
      try {
        losses = await runStep(images, optimisers, { seed, step: step + 1, indices });
      } finally {
        images.dispose();
      }
      step += 1;
      done += 1;
      opts.onStep?.(step, losses);
      for (const [name, value] of Object.entries(losses as Losses)) {
        if (!Number.isFinite(value)) {
          throw new DivergenceError(
            `training diverged: ${name} became ${value} at epoch ${epoch}, step ${step}. ` +
              (opts.checkpointDir && epoch > 1
                ? `The last good checkpoint (epoch ${epoch - 1}) in ${opts.checkpointDir} is kept.`
                : "No checkpoint had been written yet.") +
              " Try a lower learning rate or check the input data.",
          );
        }
        sums.set(name, (sums.get(name) ?? 0) + value);
      }
      ema?.update(model);
      for (const [name] of curveLosses) {
        curve.set(name, (curve.get(name) ?? 0) + (losses as Losses)[name]);
      }
      curveCount += 1;
      if (curveCount === curveEvery) {
        const point: Record<string, number> = { step, epoch };
        for (const [name] of curveLosses) point[name] = curve.get(name)! / curveCount;
        steps.push(point as StepRecord);
        curve = new Map();
        curveCount = 0;
      }
      const seconds = (performance.now() - started) / 1000;
      progress.update(
        (epoch - 1) * stepsPerEpoch + done,
        totalSteps,
        `epoch ${epoch}/${epochs} ` +
          shownLosses
            .filter(([name]) => typeof (losses as Losses)[name] === "number")
            .map(([name, label]) => `${label} ${(losses as Losses)[name].toFixed(3)} `)
            .join("") +
          `${((done * batchSize) / seconds).toFixed(1)} img/s`,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    const means: Record<string, number> = {};
    for (const [name, sum] of sums) means[name] = sum / done;
    const record = {
      epoch,
      ...means,
      seconds,
      imagesPerSecond: (done * batchSize) / seconds,
    } as EpochRecord<LossesOf<M>>;
    // A failing evaluation must not lose the epoch: checkpoint first, then report it.
    let evaluationError: Error | undefined;
    if (opts.evaluate) {
      // On a copy with tensors of its own: wasm's Conv2D picks its kernel by how often a filter
      // tensor was used, so scoring the live filters changed the next training step.
      // With an average, the live weights are scored first and the average last, so the last
      // evaluation (whose scores the caller may keep) is the model the run returns.
      const live = ema ? await detachedCopy(model) : undefined;
      const copy = ema ? await ema.averagedModel(model) : await detachedCopy(model);
      try {
        if (live) record.liveAuc = await opts.evaluate(live, epoch);
        record.auc = await opts.evaluate(copy, epoch);
      } catch (error) {
        evaluationError = error as Error;
      } finally {
        live?.dispose();
        copy.dispose();
      }
    }
    history.push(record);
    if (opts.checkpointDir) {
      await saveModel(opts.checkpointDir, model, {
        optimisers: { ...optimisers },
        trainer: { epoch, step, extra: { history, steps } },
        ema: ema ? await ema.state() : undefined,
      });
    }
    if (evaluationError) {
      throw new Error(
        `evaluation after epoch ${epoch} failed: ${evaluationError.message}` +
          (opts.checkpointDir
            ? `. Epoch ${epoch} is checkpointed in ${opts.checkpointDir}; --resume continues from it`
            : ""),
        { cause: evaluationError },
      );
    }
    await opts.onEpoch?.(record, model);
  }
  return { history, steps, resumedFrom: startEpoch, optimisers, ...(ema ? { ema } : {}) };
}

/** A model with the same values in new tensors, so that nothing done with it touches `model`. */
async function detachedCopy<M extends AnomalyModel>(model: M): Promise<M> {
  const tensors: NamedTensors = new Map();
  for (const [key, v] of model.variables) {
    tensors.set(key, { shape: v.shape, data: await v.data() as Float32Array });
  }
  return model.withValues(tensors);
}

/**
 * A checkpoint that cannot be read back (a truncated `optimizer.bin`, a `weights.bin` of the
 * wrong size, invalid JSON) is named as damaged, with the ways out: `--resume` would only fail
 * the same way. Errors that are setting mismatches (`--resume: ...`) pass unchanged.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { damagedCheckpoint } from "./trainer.ts";
 * const error = damagedCheckpoint(new Error("R/model/optimizer.bin: 10 bytes, expected 64"), "R/model");
 * assertStringIncludes(error.message, "--resume: the checkpoint in R/model is damaged");
 * assertStringIncludes(error.message, "--restart");
 * ```
 */
export function damagedCheckpoint(error: Error, dir: string): Error {
  if (error.message.startsWith("--resume:")) return error;
  return new Error(
    `--resume: the checkpoint in ${dir} is damaged (${error.message}), so it cannot be ` +
      `continued and --resume would fail the same way; start the run over with --restart ` +
      `(discards the checkpoint), or train into another --out`,
  );
}

/**
 * Loads the live weights of the checkpoint in `dir` into `model` and returns its weight average's
 * state (or `null`); a checkpoint of another model, or kept with another `--ema`, is an error.
 */
async function restoreCheckpoint(
  model: AnomalyModel,
  dir: string,
  ema: number | undefined,
): Promise<EmaState | null> {
  const saved = await loadModel(dir, { weights: "live" });
  try {
    copyValues(model, saved.model, dir);
  } finally {
    saved.model.dispose();
  }
  const emaState = await loadEmaState(dir);
  if (Boolean(emaState) !== (ema !== undefined)) {
    throw new Error(
      `--resume: the checkpoint in ${dir} was trained ` +
        (emaState ? `with --ema ${emaState.decay}` : "without --ema") + `, now ` +
        (ema !== undefined ? `--ema ${ema}` : "without it") +
        "; resume with the recorded setting",
    );
  }
  return emaState;
}

/** Assigns every variable of `target` the value of `source`'s variable of the same key. */
function copyValues(target: AnomalyModel, source: AnomalyModel, where: string): void {
  if (source.name !== target.name) {
    throw new Error(
      `--resume: ${where} holds a '${source.name}' model, this run trains '${target.name}'`,
    );
  }
  for (const [key, v] of target.variables) {
    const saved = source.variables.get(key);
    if (!saved || saved.shape.join() !== v.shape.join()) {
      throw new Error(`--resume: ${where} differs from this model at '${key}'`);
    }
    v.assign(saved);
  }
}
