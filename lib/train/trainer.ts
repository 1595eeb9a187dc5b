/**
 * The training loop of EDE-GAN: epochs of seeded shuffled batches, one {@link trainStep} per
 * batch, an optional evaluation after each epoch, and an atomic checkpoint after each epoch from
 * which `resume` continues exactly.
 *
 * @module
 */

import type * as tf from "../tf.ts";
import { EdeGan } from "../models/ede_gan.ts";
import type { ImageSet } from "../data/types.ts";
import { batchIndices, batchTensor } from "../data/batches.ts";
import {
  createOptimisers,
  DISCRIMINATOR_PARTS,
  type EdeGanOptimisers,
  type StepLosses,
  trainStep,
} from "./step.ts";
import { loadEmaState, loadModel, loadTrainingState, saveModel } from "./checkpoint.ts";
import { type EmaState, GeneratorEma } from "./ema.ts";
import { type ProgressSink, silentProgress } from "../util/progress.ts";
import { exists } from "../util/atomic.ts";

/** What one epoch did. */
export interface EpochRecord {
  epoch: number;
  /** Mean losses over the epoch's steps. */
  lossG: number;
  lossD: number;
  adversarial: number;
  contextual: number;
  latent: number;
  /** Mean distillation loss, in distillation runs. */
  distillation?: number;
  /** Test ROC AUC after this epoch, when an evaluator was given (a curve, never a selection). */
  auc?: number;
  /**
   * With `--ema`, the test ROC AUC of the live (not averaged) weights after this epoch: the figure
   * a run without `--ema` would record, since the average never feeds back into training. `auc` is
   * then the averaged generator's, so each run measures both on one training trajectory.
   */
  liveAuc?: number;
  seconds: number;
  imagesPerSecond: number;
}

/** Losses averaged over a few steps, for curves. */
export interface StepRecord {
  step: number;
  epoch: number;
  lossG: number;
  lossD: number;
}

/** Options of {@link fit}. */
export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Seeds the batch order (with the epoch number) and discriminator re-initialisations. */
  seed: number;
  /**
   * Called after each epoch; returns the test AUC to record. When it throws, the epoch is still
   * checkpointed (`checkpointDir`) before the error, naming the checkpoint, goes up.
   */
  evaluate?: (model: EdeGan, epoch: number) => number | Promise<number>;
  /** Where to checkpoint after each epoch (a model folder with training state). */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir`, if there is one. */
  resume?: boolean;
  /** Progress in steps. */
  progress?: ProgressSink;
  /** Called after each step (tests use it to plant faults; notebooks to plot live). */
  onStep?: (step: number, losses: StepLosses) => void;
  /** Called after each epoch's checkpoint, with the live model. */
  onEpoch?: (record: EpochRecord, model: EdeGan) => void | Promise<void>;
  /** Steps per point of the step curve (default: about 200 points per run). */
  curveEvery?: number;
  /** Optimisers to use (default: fresh ones from {@link createOptimisers}). */
  optimisers?: EdeGanOptimisers;
  /** The step to run on each batch (default: {@link trainStep}; distillation passes its own). */
  step?: (images: tf.Tensor4D, optimisers: EdeGanOptimisers) => Promise<StepLosses>;
  /** Re-initialise a discriminator whose loss collapsed (default true). */
  resetCollapsedDiscriminator?: boolean;
  /**
   * Keep an exponential moving average of the generator's weights with this decay (`--ema`, off
   * when absent; see {@link GeneratorEma}); each epoch's evaluation and checkpoint then use it.
   */
  ema?: number;
}

/** What {@link fit} leaves. */
export interface FitResult {
  history: EpochRecord[];
  steps: StepRecord[];
  /** The epoch training started from (0 unless resumed). */
  resumedFrom: number;
  optimisers: EdeGanOptimisers;
  /** The generator average, with `ema` (the caller disposes it). */
  ema?: GeneratorEma;
}

/** Thrown when a loss becomes NaN or infinite; the last good checkpoint stays as it was. */
export class DivergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DivergenceError";
  }
}

/** The losses averaged per epoch and checked for divergence. */
const LOSS_NAMES = ["lossG", "lossD", "adversarial", "contextual", "latent", "extra"] as const;

/** A discriminator whose loss falls below this has won outright and is re-initialised. */
const COLLAPSED_D_LOSS = 1e-5;

/**
 * Trains a model on a set of normal images.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan.ts";
 * import { fit } from "./trainer.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const set = { pixels: new Uint8Array(4 * 32 * 32), labels: new Int32Array(4), count: 4,
 *   height: 32, width: 32, channels: 1 };
 * const { history } = await fit(model, set, { epochs: 1, batchSize: 2, seed: 1 });
 * if (history.length !== 1) throw new Error();
 * model.dispose();
 * ```
 */
export async function fit(model: EdeGan, train: ImageSet, opts: FitOptions): Promise<FitResult> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize: expected a positive integer, got ${batchSize}`);
  }
  if (train.count < batchSize) {
    throw new Error(`only ${train.count} training images for a batch size of ${batchSize}`);
  }
  const optimisers = opts.optimisers ?? createOptimisers(model);
  const runStep = opts.step ?? ((images, o) => trainStep(model, o, images));
  let history: EpochRecord[] = [];
  let steps: StepRecord[] = [];
  let step = 0;
  let startEpoch = 0;
  let emaState: EmaState | null = null;
  if (opts.resume && opts.checkpointDir && await exists(`${opts.checkpointDir}/trainer.json`)) {
    const saved = await loadModel(opts.checkpointDir, { weights: "live" });
    model.copyFrom(saved.model);
    saved.model.dispose();
    emaState = await loadEmaState(opts.checkpointDir);
    if (Boolean(emaState) !== (opts.ema !== undefined)) {
      throw new Error(
        `--resume: the checkpoint in ${opts.checkpointDir} was trained ` +
          (emaState ? `with --ema ${emaState.decay}` : "without --ema") + `, now ` +
          (opts.ema !== undefined ? `--ema ${opts.ema}` : "without it") +
          "; resume with the recorded setting",
      );
    }
    const state = await loadTrainingState(opts.checkpointDir, { ...optimisers });
    if (state) {
      startEpoch = state.epoch;
      step = state.step;
      history = (state.extra.history as EpochRecord[]) ?? [];
      steps = (state.extra.steps as StepRecord[]) ?? [];
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
async function runEpochs(
  model: EdeGan,
  train: ImageSet,
  opts: FitOptions,
  state: {
    optimisers: EdeGanOptimisers;
    runStep: (images: tf.Tensor4D, optimisers: EdeGanOptimisers) => Promise<StepLosses>;
    history: EpochRecord[];
    steps: StepRecord[];
    step: number;
    startEpoch: number;
    ema?: GeneratorEma;
  },
): Promise<FitResult> {
  const { epochs, batchSize, seed, progress = silentProgress } = opts;
  const { optimisers, runStep, history, steps, startEpoch, ema } = state;
  let step = state.step;
  const stepsPerEpoch = Math.floor(train.count / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  const curveEvery = opts.curveEvery ?? Math.max(1, Math.round(totalSteps / 200));
  for (let epoch = startEpoch + 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    const sums = { lossG: 0, lossD: 0, adversarial: 0, contextual: 0, latent: 0, extra: 0 };
    let curve = { lossG: 0, lossD: 0, n: 0 };
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
      let losses: StepLosses;
      try {
        losses = await runStep(images, optimisers);
      } finally {
        images.dispose();
      }
      step += 1;
      done += 1;
      opts.onStep?.(step, losses);
      for (const name of LOSS_NAMES) {
        const value = losses[name];
        if (!Number.isFinite(value)) {
          throw new DivergenceError(
            `training diverged: ${name} became ${value} at epoch ${epoch}, step ${step}. ` +
              (opts.checkpointDir && epoch > 1
                ? `The last good checkpoint (epoch ${epoch - 1}) in ${opts.checkpointDir} is kept.`
                : "No checkpoint had been written yet.") +
              " Try a lower learning rate or check the input data.",
          );
        }
        sums[name] += value;
      }
      if ((opts.resetCollapsedDiscriminator ?? true) && losses.lossD < COLLAPSED_D_LOSS) {
        model.reinitialise(DISCRIMINATOR_PARTS, seed * 7919 + step);
        optimisers.discriminator.reset();
      }
      ema?.update(model);
      curve = {
        lossG: curve.lossG + losses.lossG,
        lossD: curve.lossD + losses.lossD,
        n: curve.n + 1,
      };
      if (curve.n === curveEvery) {
        steps.push({ step, epoch, lossG: curve.lossG / curve.n, lossD: curve.lossD / curve.n });
        curve = { lossG: 0, lossD: 0, n: 0 };
      }
      const seconds = (performance.now() - started) / 1000;
      progress.update(
        (epoch - 1) * stepsPerEpoch + done,
        totalSteps,
        `epoch ${epoch}/${epochs} G ${losses.lossG.toFixed(3)} D ${losses.lossD.toFixed(3)} ` +
          `${((done * batchSize) / seconds).toFixed(1)} img/s`,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    const record: EpochRecord = {
      epoch,
      lossG: sums.lossG / done,
      lossD: sums.lossD / done,
      adversarial: sums.adversarial / done,
      contextual: sums.contextual / done,
      latent: sums.latent / done,
      ...(sums.extra !== 0 ? { distillation: sums.extra / done } : {}),
      seconds,
      imagesPerSecond: (done * batchSize) / seconds,
    };
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
async function detachedCopy(model: EdeGan): Promise<EdeGan> {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [key, v] of model.variables) {
    tensors.set(key, { shape: v.shape, data: await v.data() as Float32Array });
  }
  return EdeGan.fromTensors(model.config, tensors);
}
