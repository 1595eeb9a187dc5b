/**
 * EDE-GAN: a generator Encoder1 -> Decoder -> Encoder2 and a discriminator. The anomaly score is the
 * distance between z = E1(x) and z_hat = E2(Dec(z)), not the image reconstruction error.
 *
 * The network is plain functions over a map of named variables, so that a checkpoint is a list of
 * named tensors and nothing in a model file is ever executed.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import { type LayerSpec, partLayers, type PartName, PARTS } from "./architecture.ts";
import { type EdeGanConfig, resolveConfig } from "./config.ts";
import { createRng, normal } from "../../util/rng.ts";
import {
  activation,
  batchNormActivation,
  type BatchStatistic,
  batchStatistics,
  type CollectedStatistics,
  movingStatistics,
  scoreActivation,
  scoreBatchNormActivation,
  scoreConv2d,
  scoreConv2dTranspose,
  scoreSequence,
  type ScoreStep,
  updateMovingAverages,
} from "../../ops/mod.ts";
import type {
  AnomalyModel,
  NamedTensors,
  ScoreBatch,
  ScoreRequest,
  StepContext,
} from "../anomaly_model.ts";
import {
  createOptimisers,
  type EdeGanOptimisers,
  GENERATOR_PARTS,
  type StepLosses,
  trainStep,
} from "./step.ts";
import { SCORE_KINDS, scoreEdeGan } from "./score.ts";
import { scoringPathCost, studentConfig } from "./narrower.ts";
import type {
  DistillableCost,
  DistillableModel,
  DistilledOutputs,
  DistillStepOptions,
  NarrowerShape,
} from "../distillable.ts";
import type { DiscriminatorOutput, EdeGanForward, GeneratorOutput, Mode } from "./forward.ts";

export type { DiscriminatorOutput, EdeGanForward, GeneratorOutput, Mode } from "./forward.ts";

/** BatchNorm's running averages move by this fraction per training step (PyTorch's 0.1). */
const BN_MOMENTUM = 0.1;
/** BatchNorm's epsilon in the variance, as PyTorch's (exported models fold it in). */
export const BN_EPSILON = 1e-5;
/** The negative slope of the encoders' LeakyReLU. */
export const LEAKY_SLOPE = 0.2;

/** The batch statistics of one BatchNorm layer, collected in training mode. */
/**
 * An EDE-GAN's parameters and its forward passes, and the {@link AnomalyModel} the engine trains,
 * scores and saves (its step in `./step.ts`, its scores in `./score.ts`). Variables are keyed
 * `part/layer/tensor` (`encoder1/conv1/kernel`, `decoder/initial/gamma`,
 * `discriminator/conv2/movingMean`).
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 *
 * import { EdeGan } from "./network.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 4, latentSize: 8 }, 1);
 * const { z, zHat } = model.generate(tf.zeros([2, 32, 32, 1]), "infer");
 * if (z.shape[1] !== 8 || zHat.shape[1] !== 8) throw new Error();
 * model.dispose();
 * ```
 */
export class EdeGan
  implements
    AnomalyModel<EdeGanOptimisers, StepLosses>,
    EdeGanForward,
    DistillableModel<EdeGanOptimisers, StepLosses> {
  /** The name `model.json` records for an EDE-GAN. */
  static readonly NAME = "ede-gan";
  /** {@link EdeGan.NAME}. */
  readonly name: string = EdeGan.NAME;
  /** E1, Dec and E2's variables: the scoring path. */
  readonly scoringKeys: readonly string[];
  /** The generator's and the discriminator's totals, `G` and `D` on the progress line. */
  readonly curveLosses: Readonly<Record<string, string>> = { lossG: "G", lossD: "D" };
  /** `latent` (the paper's score), `reconstruction`, `features` (see `./score.ts`). */
  readonly scoreKinds: readonly string[] = SCORE_KINDS;
  /** The layers of each part. */
  readonly layers: Record<PartName, LayerSpec[]>;
  /** Statistics collected by training-mode forward passes, applied by {@link commitBatchStats}. */
  #pending: CollectedStatistics[] = [];
  /** The scoring pass's steps (they depend on the configuration only). */
  #steps?: ScoreStep[];

  private constructor(
    readonly config: EdeGanConfig,
    readonly variables: Map<string, tf.Variable>,
  ) {
    this.layers = Object.fromEntries(PARTS.map((p) => [p, partLayers(config, p)])) as Record<
      PartName,
      LayerSpec[]
    >;
    this.scoringKeys = [...variables.keys()].filter((key) =>
      GENERATOR_PARTS.includes(key.split("/")[0] as PartName)
    );
  }

  /**
   * A freshly initialised model: conv weights N(0, 0.02), BatchNorm gamma N(1, 0.02), beta 0,
   * drawn from a seeded generator so that a seed gives the same model on every backend.
   */
  static create(partial: Partial<EdeGanConfig>, seed: number): EdeGan {
    const config = resolveConfig(partial);
    const values = initialValues(config, seed);
    const variables = new Map<string, tf.Variable>();
    tf.tidy(() => {
      for (const [key, { shape, data }] of values) {
        variables.set(key, tf.variable(tf.tensor(data, shape), !isMovingStat(key)));
      }
    });
    return new EdeGan(config, variables);
  }

  /**
   * A model built from saved tensors. Every expected tensor must be present with its shape;
   * errors name the tensor.
   */
  static fromTensors(partial: Partial<EdeGanConfig>, tensors: NamedTensors): EdeGan {
    const config = resolveConfig(partial);
    const expected = initialValues(config, 0);
    const variables = new Map<string, tf.Variable>();
    for (const [key, { shape }] of expected) {
      const saved = tensors.get(key);
      if (saved === undefined) throw new Error(`model tensor '${key}' is missing`);
      if (saved.shape.join("x") !== shape.join("x")) {
        throw new Error(
          `model tensor '${key}' has shape [${saved.shape}], expected [${shape}] for this config`,
        );
      }
      variables.set(
        key,
        tf.tidy(() => tf.variable(tf.tensor(saved.data, shape), !isMovingStat(key))),
      );
    }
    const extra = [...tensors.keys()].filter((k) => !expected.has(k));
    if (extra.length > 0) {
      variables.forEach((v) => v.dispose());
      throw new Error(`model has unexpected tensors (${extra.slice(0, 3).join(", ")})`);
    }
    return new EdeGan(config, variables);
  }

  /**
   * Adam over the generator's and over the discriminator's variables (see `./step.ts`); `extra`
   * variables (a distillation's latent projection) are trained with the generator.
   */
  createOptimisers(extra?: Map<string, tf.Variable>): EdeGanOptimisers {
    return createOptimisers(this, extra);
  }

  /**
   * One step of plain EDE-GAN training (see `./step.ts`'s `trainStep`), re-initialising a
   * collapsed discriminator from `context`.
   */
  trainStep(
    images: tf.Tensor4D,
    optimisers: EdeGanOptimisers,
    context: StepContext,
  ): Promise<StepLosses> {
    return trainStep(this, optimisers, images, { context });
  }

  /** The scores of a batch (see `./score.ts`). */
  scoreBatch(images: tf.Tensor4D, request: ScoreRequest): ScoreBatch {
    return scoreEdeGan(this, images, request);
  }

  /** An EDE-GAN of this configuration holding `tensors` (see {@link fromTensors}). */
  withValues(tensors: NamedTensors): this {
    return EdeGan.fromTensors(this.config, tensors) as this;
  }

  /** {@link DistillableModel}: z, x_hat and z_hat, as {@link generate} computes them. */
  distilledOutputs(images: tf.Tensor4D, mode: "train" | "infer" | "perImage"): DistilledOutputs {
    return this.generate(images, mode);
  }

  /**
   * {@link DistillableModel}: EDE-GAN's step (`./step.ts`'s `trainStep`) with K added to the
   * generator's loss; without `ownLosses` the generator learns from K alone and the discriminator
   * is left untouched.
   */
  async distillStep(
    images: tf.Tensor4D,
    optimisers: EdeGanOptimisers,
    opts: DistillStepOptions,
  ): Promise<{ losses: StepLosses; outputs?: DistilledOutputs }> {
    const { outputs, ...losses } = await trainStep(this, optimisers, images, {
      distillationLoss: opts.distillationLoss,
      ganLosses: opts.ownLosses,
      keepOutputs: opts.keepOutputs,
      context: opts.context,
    });
    return outputs ? { losses, outputs } : { losses };
  }

  /** {@link DistillableModel}: a trainable EDE-GAN of this configuration and these values. */
  clone(): this {
    const copy = EdeGan.create(this.config, 0);
    copy.copyFrom(this);
    return copy as this;
  }

  /**
   * {@link DistillableModel}: an EDE-GAN of this configuration but base width `shape.width` and
   * latent size `shape.latentSize` (default: this one's), without explicit per-layer widths,
   * initialised from `seed` (`./narrower.ts`'s `studentConfig`).
   */
  narrower(shape: NarrowerShape, seed: number): this {
    return EdeGan.create(studentConfig(this.config, shape), seed) as this;
  }

  /** {@link DistillableModel}: its base width and latent size. */
  get baseShape(): { width: number; latentSize: number } {
    return { width: this.config.width, latentSize: this.config.latentSize };
  }

  /** {@link DistillableModel}: the generator's (E1, Dec, E2) parameters, MFLOPs and MACs. */
  cost(): DistillableCost {
    return scoringPathCost(this.config);
  }

  /** {@link DistillableModel}: the cost of {@link narrower}'s copy of `shape`. */
  costOf(shape: NarrowerShape): DistillableCost {
    return scoringPathCost(studentConfig(this.config, shape));
  }

  /** The trainable variables of some parts, in a stable order. */
  trainable(parts: readonly PartName[]): tf.Variable[] {
    return [...this.variables.entries()]
      .filter(([key, v]) => v.trainable && parts.includes(key.split("/")[0] as PartName))
      .map(([, v]) => v);
  }

  /** The key of a variable of this model. */
  keyOf(variable: tf.Variable): string {
    for (const [key, v] of this.variables) if (v === variable) return key;
    throw new Error("variable does not belong to this model");
  }

  /** Runs one part on an input. */
  runPart(
    part: PartName,
    input: tf.Tensor4D,
    mode: Mode,
  ): { output: tf.Tensor4D; beforeLast: tf.Tensor4D } {
    let x = input;
    let beforeLast = input;
    const layers = this.layers[part];
    layers.forEach((layer, i) => {
      if (i === layers.length - 1) beforeLast = x;
      x = this.#layer(`${part}/${layer.name}`, layer, x, mode);
    });
    return { output: x, beforeLast };
  }

  /** E1 or E2: images to latents, with the latent constraint applied. */
  encode(part: "encoder1" | "encoder2", images: tf.Tensor4D, mode: Mode): tf.Tensor2D {
    const out = this.runPart(part, images, mode).output;
    const flat = tf.reshape(out, [out.shape[0], this.config.latentSize]) as tf.Tensor2D;
    if (this.config.latent !== "tanh") return flat;
    return mode === "score" ? scoreActivation(flat, "tanh") : tf.tanh(flat);
  }

  /** Dec: latents to images. */
  decode(z: tf.Tensor2D, mode: Mode): tf.Tensor4D {
    return this.runPart(
      "decoder",
      tf.reshape(z, [z.shape[0], 1, 1, this.config.latentSize]) as tf.Tensor4D,
      mode,
    )
      .output;
  }

  /**
   * The whole generator: z = E1(x), x_hat = Dec(z), z_hat = E2(x_hat). In `score` mode, one
   * scoring sequence (`scoreSequence`: one kernel call on the wasm backends).
   */
  generate(images: tf.Tensor4D, mode: Mode): GeneratorOutput {
    if (mode === "score") {
      const weights = Object.fromEntries(this.scoringKeys.map((k) => [k, this.variables.get(k)!]));
      const [z, xHat, zHat] = scoreSequence(images, weights, this.#scoringSteps());
      return { z: z as tf.Tensor2D, xHat: xHat as tf.Tensor4D, zHat: zHat as tf.Tensor2D };
    }
    const z = this.encode("encoder1", images, mode);
    const xHat = this.decode(z, mode);
    const zHat = this.encode("encoder2", xHat, mode);
    return { z, xHat, zHat };
  }

  /** D: one logit per image, and its last feature map (for the feature-matching loss). */
  discriminate(images: tf.Tensor4D, mode: Mode): DiscriminatorOutput {
    const { output, beforeLast } = this.runPart("discriminator", images, mode);
    return { logits: tf.reshape(output, [output.shape[0]]) as tf.Tensor1D, features: beforeLast };
  }

  /**
   * Moves the BatchNorm running averages of `parts` toward the batch statistics collected since
   * the last call (by training-mode passes, in the order they ran, as PyTorch does at each
   * forward), then forgets all collected statistics. Call once per optimisation step, outside
   * gradient tapes.
   */
  commitBatchStats(parts: readonly PartName[]): void {
    const statistics: BatchStatistic[] = this.#pending
      .filter(({ key }) => parts.includes(key.split("/")[0] as PartName))
      .map(({ key, mean, variance, count }) => ({
        movingMean: this.variables.get(`${key}/movingMean`)!,
        movingVariance: this.variables.get(`${key}/movingVariance`)!,
        mean,
        variance,
        count,
      }));
    updateMovingAverages(statistics, BN_MOMENTUM);
    this.discardBatchStats();
  }

  /**
   * The statistics collected by training-mode passes since the last commit or discard, in the
   * order the layers ran (`key` is `part/layer`; `mean` and `variance` are the biased batch
   * statistics, [channels], over `count` values each); the caller owns and disposes them.
   * Used to re-estimate BatchNorm statistics over a data set after training.
   */
  takeBatchStats(): { key: string; mean: tf.Tensor1D; variance: tf.Tensor1D; count: number }[] {
    const taken = this.#pending;
    this.#pending = [];
    return taken;
  }

  /** Forgets the statistics collected by training-mode passes without applying them. */
  discardBatchStats(): void {
    for (const stat of this.#pending) tf.dispose([stat.mean, stat.variance]);
    this.#pending = [];
  }

  /** Copies every variable's value from another model of the same configuration. */
  copyFrom(other: EdeGan): void {
    for (const [key, v] of this.variables) {
      const source = other.variables.get(key);
      if (!source || source.shape.join() !== v.shape.join()) {
        throw new Error(`copyFrom: models differ at '${key}'`);
      }
      v.assign(source);
    }
  }

  /**
   * Draws fresh initial values for the variables of some parts (GANomaly re-initialises a
   * discriminator whose loss collapsed to zero).
   */
  reinitialise(parts: readonly PartName[], seed: number): void {
    const values = initialValues(this.config, seed);
    tf.tidy(() => {
      for (const [key, { shape, data }] of values) {
        if (parts.includes(key.split("/")[0] as PartName)) {
          this.variables.get(key)!.assign(tf.tensor(data, shape));
        }
      }
    });
  }

  /** Frees every variable. */
  dispose(): void {
    this.discardBatchStats();
    for (const v of this.variables.values()) v.dispose();
  }

  #layer(key: string, layer: LayerSpec, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
    if (mode === "score") return this.#scoringLayer(key, layer, x);
    const kernel = this.variables.get(`${key}/kernel`)! as tf.Variable<tf.Rank.R4>;
    let y: tf.Tensor4D;
    if (layer.kind === "conv") {
      y = tf.conv2d(x, kernel, layer.stride, layer.padding);
    } else {
      const batch = x.shape[0];
      y = tf.conv2dTranspose(
        x,
        kernel,
        [batch, layer.outSize, layer.outSize, layer.outChannels],
        layer.stride,
        layer.padding,
      );
    }
    if (layer.batchNorm && mode === "train" && layer.activation !== "tanh") {
      return this.#trainBatchNorm(key, y, layer.activation);
    }
    if (layer.batchNorm) y = this.#batchNorm(key, y, mode);
    if (mode === "train" && (layer.activation === "leakyRelu" || layer.activation === "relu")) {
      return activation(y, { activation: layer.activation, alpha: LEAKY_SLOPE });
    }
    switch (layer.activation) {
      case "leakyRelu":
        return tf.leakyRelu(y, LEAKY_SLOPE);
      case "relu":
        return tf.relu(y);
      case "tanh":
        return tf.tanh(y);
      case "none":
        return y;
    }
  }

  /** The generator's scoring pass as steps: E1, z, Dec, x_hat, E2, z_hat (see `scoreSequence`). */
  #scoringSteps(): ScoreStep[] {
    if (this.#steps) return this.#steps;
    const { latentSize, latent } = this.config;
    const part = (name: PartName): ScoreStep[] =>
      this.layers[name].flatMap((layer) => {
        const key = `${name}/${layer.name}`;
        const conv: ScoreStep = layer.kind === "conv"
          ? { op: "conv", filter: `${key}/kernel`, stride: layer.stride, pad: layer.padding }
          : {
            op: "convTranspose",
            filter: `${key}/kernel`,
            stride: layer.stride,
            pad: layer.padding,
            outSize: layer.outSize,
            outChannels: layer.outChannels,
          };
        const after: ScoreStep = layer.batchNorm
          ? {
            op: "batchNormActivation",
            mean: `${key}/movingMean`,
            variance: `${key}/movingVariance`,
            offset: `${key}/beta`,
            scale: `${key}/gamma`,
            epsilon: BN_EPSILON,
            activation: layer.activation,
            alpha: LEAKY_SLOPE,
          }
          : { op: "activation", activation: layer.activation, alpha: LEAKY_SLOPE };
        return [conv, after];
      });
    const constrain: ScoreStep[] = [
      { op: "reshape", shape: [latentSize] },
      ...(latent === "tanh" ? [{ op: "activation", activation: "tanh", alpha: 0 } as const] : []),
      { op: "output" },
    ];
    this.#steps = [
      ...part("encoder1"),
      ...constrain,
      { op: "reshape", shape: [1, 1, latentSize] },
      ...part("decoder"),
      { op: "output" },
      ...part("encoder2"),
      ...constrain,
    ];
    return this.#steps;
  }

  /**
   * A layer as scoring runs it (`score` mode: moving averages, no gradient): the convolution, then
   * BatchNorm and the activation as one scoring op (or the activation alone).
   */
  #scoringLayer(key: string, layer: LayerSpec, x: tf.Tensor4D): tf.Tensor4D {
    const kernel = this.variables.get(`${key}/kernel`)! as tf.Tensor4D;
    const y = layer.kind === "conv"
      ? scoreConv2d(x, kernel, layer.stride, layer.padding)
      : scoreConv2dTranspose(
        x,
        kernel,
        [x.shape[0], layer.outSize, layer.outSize, layer.outChannels],
        layer.stride,
        layer.padding,
      );
    if (!layer.batchNorm) return scoreActivation(y, layer.activation, LEAKY_SLOPE);
    const v = (name: string) => this.variables.get(`${key}/${name}`)! as tf.Tensor1D;
    return scoreBatchNormActivation(
      y,
      {
        mean: v("movingMean"),
        variance: v("movingVariance"),
        offset: v("beta"),
        scale: v("gamma"),
      },
      BN_EPSILON,
      layer.activation,
      LEAKY_SLOPE,
    );
  }

  /**
   * Training-mode batch normalisation and activation (the op `batchNormActivation`: one kernel
   * where the backend has it, tfjs's ops elsewhere), its batch statistics collected.
   */
  #trainBatchNorm(
    key: string,
    x: tf.Tensor4D,
    activation: "leakyRelu" | "relu" | "none",
  ): tf.Tensor4D {
    const gamma = this.variables.get(`${key}/gamma`)! as tf.Tensor1D;
    const beta = this.variables.get(`${key}/beta`)! as tf.Tensor1D;
    const { y, mean, variance } = batchNormActivation(x, gamma, beta, {
      activation,
      epsilon: BN_EPSILON,
      alpha: LEAKY_SLOPE,
    });
    const [n, h, w] = x.shape;
    this.#pending.push({ key, mean, variance, count: n * h * w });
    return y;
  }

  #batchNorm(key: string, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
    const gamma = this.variables.get(`${key}/gamma`)! as tf.Tensor1D;
    const beta = this.variables.get(`${key}/beta`)! as tf.Tensor1D;
    if (mode === "perImage") {
      // Each image by its own statistics over height and width: batch-1 training mode, batched.
      const moments = tf.moments(x, [1, 2], true);
      const normalised = tf.mul(
        tf.sub(x, moments.mean),
        tf.rsqrt(tf.add(moments.variance, BN_EPSILON)),
      );
      return tf.add(tf.mul(normalised, gamma), beta) as tf.Tensor4D;
    }
    const { mean, variance } = mode === "infer"
      ? movingStatistics(this.variables, key)
      : batchStatistics(x, key, this.#pending);
    return tf.batchNorm4d(x, mean, variance, beta, gamma, BN_EPSILON);
  }
}

function isMovingStat(key: string): boolean {
  return key.endsWith("/movingMean") || key.endsWith("/movingVariance");
}

/**
 * The initial value of every tensor of a model, keyed and ordered as in the model. Conv kernels are
 * stored as tfjs expects: [k, k, in, out] for conv2d and [k, k, out, in] for conv2dTranspose.
 */
export function initialValues(config: EdeGanConfig, seed: number): NamedTensors {
  const rng = createRng(seed);
  const values: NamedTensors = new Map();
  const fill = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  for (const part of PARTS) {
    for (const layer of partLayers(config, part)) {
      const key = `${part}/${layer.name}`;
      const { kernel: k, inChannels: cin, outChannels: cout } = layer;
      const shape = layer.kind === "conv" ? [k, k, cin, cout] : [k, k, cout, cin];
      values.set(`${key}/kernel`, {
        shape,
        data: fill(k * k * cin * cout, () => 0.02 * normal(rng)),
      });
      if (layer.batchNorm) {
        values.set(`${key}/gamma`, {
          shape: [cout],
          data: fill(cout, () => 1 + 0.02 * normal(rng)),
        });
        values.set(`${key}/beta`, { shape: [cout], data: new Float32Array(cout) });
        values.set(`${key}/movingMean`, { shape: [cout], data: new Float32Array(cout) });
        values.set(`${key}/movingVariance`, {
          shape: [cout],
          data: new Float32Array(cout).fill(1),
        });
      }
    }
  }
  return values;
}
