/**
 * An exponential moving average (EMA) of the weights a model scores with (EDE-GAN's generator),
 * for a last epoch that does not depend on where the last steps happened to leave the weights.
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { AnomalyModel, NamedTensors } from "../models/anomaly_model.ts";

/** What a checkpoint keeps of an EMA: enough to continue it exactly. */
export interface EmaState {
  decay: number;
  /** Updates applied so far (one per optimisation step). */
  updates: number;
  /** The averaged tensors, keyed like the model's variables. */
  tensors: NamedTensors;
}

/**
 * The EMA of every tensor a model's scores depend on (its `scoringKeys`; EDE-GAN's generator E1,
 * Dec, E2: kernels, BatchNorm gamma and beta, and the BatchNorm moving statistics, averaged like
 * the weights, as timm's `ModelEmaV2` does with buffers). After update t (0-based) each average moves as
 * `ema = d_t * ema + (1 - d_t) * w` with `d_t = min(decay, (1 + t) / (10 + t))`, the warm-up of
 * `tf.train.ExponentialMovingAverage` with `num_updates`, so that a short run is not dominated by
 * its initial weights. The other tensors (EDE-GAN's discriminator) are not averaged: the averaged
 * model keeps the live ones.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { GeneratorEma } from "./ema.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const ema = new GeneratorEma(model, 0.999);
 * ema.update(model);
 * if (ema.updates !== 1) throw new Error();
 * const averaged = await ema.averagedModel(model);
 * averaged.dispose();
 * ema.dispose();
 * model.dispose();
 * ```
 */
export class GeneratorEma {
  readonly #averages = new Map<string, tf.Variable>();
  #updates = 0;

  /** Starts an average at `model`'s current scoring values (or at `state`, to resume). */
  constructor(model: AnomalyModel, readonly decay: number, state?: EmaState) {
    checkEmaDecay(decay);
    if (state && state.decay !== decay) {
      throw new Error(
        `--ema ${decay}: the checkpoint's average was kept with decay ${state.decay}`,
      );
    }
    const averaged = new Set(model.scoringKeys);
    for (const [key, v] of model.variables) {
      if (!averaged.has(key)) continue;
      const saved = state?.tensors.get(key);
      if (state && (!saved || saved.shape.join() !== v.shape.join())) {
        this.dispose();
        throw new Error(`checkpoint EMA: tensor '${key}' is missing or has another shape`);
      }
      this.#averages.set(
        key,
        tf.tidy(() => tf.variable(saved ? tf.tensor(saved.data, v.shape) : v, false)),
      );
    }
    this.#updates = state?.updates ?? 0;
  }

  /** Updates applied so far. */
  get updates(): number {
    return this.#updates;
  }

  /** The decay of the next update: `min(decay, (1 + t) / (10 + t))`. */
  nextDecay(): number {
    return Math.min(this.decay, (1 + this.#updates) / (10 + this.#updates));
  }

  /** Moves every average toward `model`'s current values (call once per optimisation step). */
  update(model: AnomalyModel): void {
    const d = this.nextDecay();
    tf.tidy(() => {
      for (const [key, average] of this.#averages) {
        const live = model.variables.get(key)!;
        average.assign(tf.add(tf.mul(average, d), tf.mul(live, 1 - d)));
      }
    });
    this.#updates += 1;
  }

  /** The averages as plain arrays, for a checkpoint. */
  async state(): Promise<EmaState> {
    const tensors: NamedTensors = new Map();
    for (const [key, v] of this.#averages) {
      tensors.set(key, { shape: v.shape, data: (await v.data()) as Float32Array });
    }
    return { decay: this.decay, updates: this.#updates, tensors };
  }

  /**
   * A new model (the caller disposes it) with the averaged tensors and `model`'s others (EDE-GAN:
   * the averaged generator and the live discriminator): the model to score with.
   */
  async averagedModel<M extends AnomalyModel>(model: M): Promise<M> {
    const { tensors } = await this.state();
    for (const [key, v] of model.variables) {
      if (!tensors.has(key)) {
        tensors.set(key, { shape: v.shape, data: (await v.data()) as Float32Array });
      }
    }
    return model.withValues(tensors);
  }

  /** Frees the averages. */
  dispose(): void {
    for (const v of this.#averages.values()) v.dispose();
    this.#averages.clear();
  }
}

/**
 * Checks an EMA decay: a number in (0, 1); the error names `--ema`.
 *
 * @example
 * ```ts
 * import { checkEmaDecay } from "./ema.ts";
 * checkEmaDecay(0.999);
 * let message = "";
 * try { checkEmaDecay(1); } catch (e) { message = (e as Error).message; }
 * if (!message.startsWith("--ema 1: expected a decay in (0, 1)")) throw new Error(message);
 * ```
 */
export function checkEmaDecay(decay: number): void {
  if (!(decay > 0 && decay < 1)) {
    throw new Error(`--ema ${decay}: expected a decay in (0, 1), e.g. --ema 0.999`);
  }
}

/** What `--ema` accepts: a decay in (0, 1), or `auto` ({@link autoEmaDecay}). */
export type EmaOption = number | "auto";

/**
 * The decay of `--ema auto`: 1 - 1/(optimisation steps per epoch), so the average spans about the
 * last epoch of updates (its time constant is 1/(1 - decay) steps), whatever the batch size and
 * class size; at least 0.5 (one step per epoch) and at most 0.999999. On MNIST digit 2 (5,362
 * training images) it is 0.98795 at batch 64 and 0.99981 at batch 1, the decays of
 * results/teachers (0.99, 0.9998) to within rounding. Steps per epoch are the trainer's,
 * floor(images / batch size).
 *
 * @throws Error when there is not one whole batch of images.
 * @example
 * ```ts
 * import { autoEmaDecay } from "./ema.ts";
 * if (autoEmaDecay(6400, 64) !== 0.99) throw new Error();
 * ```
 */
export function autoEmaDecay(trainImages: number, batchSize: number): number {
  const steps = Math.floor(trainImages / batchSize);
  if (!(steps >= 1)) {
    throw new Error(
      `--ema auto: ${trainImages} training image(s) at batch size ${batchSize} make no whole step`,
    );
  }
  return Math.min(0.999999, Math.max(0.5, 1 - 1 / steps));
}

/**
 * Reads an `--ema` value: `auto`, a decay in (0, 1), or `off` (no average, as when absent).
 *
 * @throws Error naming `--ema`, the value and what is expected.
 * @example
 * ```ts
 * import { parseEmaOption } from "./ema.ts";
 * if (parseEmaOption("0.99") !== 0.99 || parseEmaOption("auto") !== "auto") throw new Error();
 * ```
 */
export function parseEmaOption(value: string | number | undefined): EmaOption | undefined {
  if (value === undefined || value === "off") return undefined;
  if (value === "auto") return "auto";
  const decay = typeof value === "number" ? value : Number(value);
  if (typeof value === "string" && (value.trim() === "" || !Number.isFinite(decay))) {
    throw new Error(`--ema: '${value}' is not a decay in (0, 1), auto or off, e.g. --ema 0.999`);
  }
  checkEmaDecay(decay);
  return decay;
}
