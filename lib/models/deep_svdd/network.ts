/**
 * Deep SVDD (Ruff et al., "Deep One-Class Classification", ICML 2018) behind the
 * {@link AnomalyModel} interface: a bias-free LeNet-type encoder phi trained to pull the training
 * normals to a fixed centre c; the anomaly score is ||phi(x) - c||^2 (see `./losses.ts`).
 *
 *   x -> GCN -> conv 5x5 (w1) -> BN -> leaky ReLU -> max-pool 2
 *        -> conv 5x5 (w2) -> BN -> leaky ReLU -> max-pool 2 -> dense (representation) = phi(x)
 *
 * No layer has a bias and BatchNorm has no affine parameters (section 3.3: a bias lets phi map
 * everything to c, a trivial solution). Variables are keyed `encoder/<layer>/<tensor>`; the centre
 * is the non-trainable `centre/c`, saved with the weights.
 *
 * What differs from the paper: no autoencoder pretraining (the encoder starts from PyTorch's
 * default initialisation, and c is the mean of that network's outputs); one learning rate
 * throughout (the paper's code drops it tenfold after 50 epochs); the library's 32x32 images in
 * [-1, 1] (the paper: 28x28 MNIST in [0, 1] after l1 GCN and per-class min-max scaling; GCN is
 * applied here, the min-max scaling is an affine map that BatchNorm after a bias-free
 * convolution largely absorbs).
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { AnomalyModel, NamedTensors, ScoreBatch, ScoreRequest } from "../anomaly_model.ts";
import type { ImageSet } from "../../data/types.ts";
import { batchTensor } from "../../data/batches.ts";
import { Adam, keyedGradients } from "../../train/adam.ts";
import { batchStatistics, type CollectedStatistics, movingStatistics } from "../../ops/mod.ts";
import { createRng } from "../../util/rng.ts";
import { type DeepSvddConfig, resolveConfig } from "./config.ts";
import { centreFromSum, distanceToCentre, oneClassLoss, weightDecay } from "./losses.ts";

/** BatchNorm's running averages move by this fraction per step (PyTorch's 0.1). */
const BN_MOMENTUM = 0.1;
/** Images per forward pass when the centre is computed. */
const CENTRE_BATCH = 256;
/** The key of the centre c. */
const CENTRE = "centre/c";

/** How BatchNorm normalises: by the batch (`train`), the moving averages, or each image. */
export type Mode = "train" | "infer" | "perImage";

/** Deep SVDD's one optimiser, over the encoder's weights. */
export type DeepSvddOptimisers = { encoder: Adam };

/** The losses of one step: equation (3)'s data term and its weight decay. */
export type DeepSvddLosses = { loss: number; weightDecay: number };

/**
 * A Deep SVDD: its encoder's weights, BatchNorm statistics and centre, its training step and
 * score. `phi(x)` is {@link DeepSvdd.represent}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import { DeepSvdd } from "./network.ts";
 * await tf.setBackend("cpu");
 * const model = DeepSvdd.create({}, 0);
 * const phi = model.represent(tf.zeros([2, 32, 32, 1]), "infer");
 * assertEquals(phi.shape, [2, 32]);
 * model.dispose();
 * ```
 */
export class DeepSvdd implements AnomalyModel<DeepSvddOptimisers, DeepSvddLosses> {
  /** The name `model.json` and `run.json` record, and `--model-kind` takes. */
  static readonly NAME = "deep-svdd";
  /** {@link DeepSvdd.NAME}. */
  readonly name: string = DeepSvdd.NAME;
  /** Every variable: the whole model scores. */
  readonly scoringKeys: readonly string[];
  /** Equation (3)'s data term, `L` on the progress line. */
  readonly curveLosses: Readonly<Record<string, string>> = { loss: "L" };
  /** `latent`: ||phi(x) - c||^2, the distance in the output space to the centre. */
  readonly scoreKinds: readonly string[] = ["latent"];
  /** Batch statistics of training-mode passes, applied after the step. */
  #pending: CollectedStatistics[] = [];

  private constructor(
    readonly config: DeepSvddConfig,
    readonly variables: Map<string, tf.Variable>,
  ) {
    this.scoringKeys = [...variables.keys()];
  }

  /**
   * A fresh model: conv and dense weights uniform in +-1/sqrt(fan in) (PyTorch's default), drawn
   * from `seed`; moving statistics 0 and 1; the centre 0 until {@link beginTraining} sets it.
   */
  static create(partial: Partial<DeepSvddConfig>, seed: number): DeepSvdd {
    const config = resolveConfig(partial);
    return DeepSvdd.#build(config, initialValues(config, seed));
  }

  /** A model from saved tensors; a missing or misshapen tensor is an error naming it. */
  static fromTensors(partial: Partial<DeepSvddConfig>, tensors: NamedTensors): DeepSvdd {
    const config = resolveConfig(partial);
    const expected = initialValues(config, 0);
    for (const [key, { shape }] of expected) {
      const saved = tensors.get(key);
      if (saved === undefined) throw new Error(`model tensor '${key}' is missing`);
      if (saved.shape.join("x") !== shape.join("x")) {
        throw new Error(
          `model tensor '${key}' has shape [${saved.shape}], expected [${shape}] for this config`,
        );
      }
    }
    const extra = [...tensors.keys()].filter((k) => !expected.has(k));
    if (extra.length > 0) {
      throw new Error(`model has unexpected tensors (${extra.slice(0, 3).join(", ")})`);
    }
    return DeepSvdd.#build(config, tensors);
  }

  static #build(config: DeepSvddConfig, values: NamedTensors): DeepSvdd {
    const variables = new Map<string, tf.Variable>();
    tf.tidy(() => {
      for (const [key, { shape, data }] of values) {
        variables.set(key, tf.variable(tf.tensor(data, shape), key.endsWith("/kernel")));
      }
    });
    return new DeepSvdd(config, variables);
  }

  /** Adam over the encoder's weights (the centre and moving statistics are not trained). */
  createOptimisers(): DeepSvddOptimisers {
    const trainable = new Map([...this.variables].filter(([, v]) => v.trainable));
    const { learningRate, beta1, beta2 } = this.config;
    return { encoder: new Adam(trainable, { learningRate, beta1, beta2 }) };
  }

  /**
   * Fixes the centre c: the mean of phi over every training image with the initial network
   * (BatchNorm by its moving statistics, as the paper's code runs it in eval mode), each entry
   * nearer 0 than `centreEpsilon` pushed to +-it (`centreFromSum`).
   */
  async beginTraining(train: ImageSet): Promise<void> {
    const sum = new Float64Array(this.config.representation);
    for (let start = 0; start < train.count; start += CENTRE_BATCH) {
      const end = Math.min(train.count, start + CENTRE_BATCH);
      const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
      const total = tf.tidy(() => tf.sum(this.represent(batchTensor(train, indices), "infer"), 0));
      const values = await total.data();
      total.dispose();
      values.forEach((v, j) => sum[j] += v);
    }
    const centre = centreFromSum(sum, train.count, this.config.centreEpsilon);
    tf.tidy(() => this.variables.get(CENTRE)!.assign(tf.tensor1d(centre)));
  }

  /**
   * One Adam step on equation (3) for a batch of images in [-1, 1]; BatchNorm by the batch's
   * statistics, its moving averages updated after the step.
   */
  async trainStep(images: tf.Tensor4D, optimisers: DeepSvddOptimisers): Promise<DeepSvddLosses> {
    const terms: tf.Scalar[] = [];
    try {
      tf.tidy(() => {
        const { grads } = keyedGradients(optimisers.encoder, () => {
          const data = oneClassLoss(this.represent(images, "train"), this.centre);
          const decay = weightDecay(
            [...optimisers.encoder.variables.values()],
            this.config.weightDecay,
          );
          terms.push(tf.keep(data), tf.keep(decay));
          return tf.add(data, decay) as tf.Scalar;
        });
        optimisers.encoder.apply(grads);
      });
      this.#commitBatchStats();
      const [loss, decay] = (await Promise.all(terms.map((t) => t.data()))).map((v) => v[0]);
      return { loss, weightDecay: decay };
    } finally {
      this.#discardBatchStats();
      tf.dispose(terms);
    }
  }

  /** ||phi(x) - c||^2 per image (kind `latent`), and phi(x) as `z` when latents are asked. */
  scoreBatch(images: tf.Tensor4D, request: ScoreRequest): ScoreBatch {
    const phi = this.represent(images, request.batchNorm === "per-image" ? "perImage" : "infer");
    const scores: Record<string, tf.Tensor1D> = {};
    for (const kind of request.kinds) {
      if (kind !== "latent") {
        throw new Error(`scoreKind: a deep-svdd model scores latent, got '${kind}'`);
      }
      scores.latent = distanceToCentre(phi, this.centre);
    }
    return { scores, ...(request.latents ? { latents: { z: phi } } : {}) };
  }

  /** A Deep SVDD of this configuration holding `tensors` (see {@link fromTensors}). */
  withValues(tensors: NamedTensors): this {
    return DeepSvdd.fromTensors(this.config, tensors) as this;
  }

  /** The centre c, [representation]. */
  get centre(): tf.Tensor1D {
    return this.variables.get(CENTRE)! as tf.Tensor1D;
  }

  /** phi(x): images [n, size, size, channels] in [-1, 1] to outputs [n, representation]. */
  represent(images: tf.Tensor4D, mode: Mode): tf.Tensor2D {
    let x = this.config.contrast === "l1" ? contrastNormalise(images) : images;
    for (const layer of ["conv1", "conv2"]) {
      const kernel = this.variables.get(`encoder/${layer}/kernel`)! as tf.Tensor4D;
      x = tf.conv2d(x, kernel, 1, "same");
      x = this.#batchNorm(`encoder/${layer}`, x, mode);
      x = tf.leakyRelu(x, this.config.leakySlope);
      x = tf.maxPool(x, 2, 2, "valid");
    }
    const flat = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
    return tf.matMul(flat, this.variables.get("encoder/dense/kernel")! as tf.Tensor2D);
  }

  /** Frees every variable. */
  dispose(): void {
    this.#discardBatchStats();
    for (const v of this.variables.values()) v.dispose();
  }

  #batchNorm(key: string, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
    const epsilon = this.config.batchNormEpsilon;
    if (mode === "perImage") {
      const { mean, variance } = tf.moments(x, [1, 2], true);
      return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))) as tf.Tensor4D;
    }
    const { mean, variance } = mode === "infer"
      ? movingStatistics(this.variables, key)
      : batchStatistics(x, key, this.#pending);
    // No affine parameters: tfjs's batchNorm cannot take its gradient without a scale.
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))) as tf.Tensor4D;
  }

  /** Moves the moving averages toward the batch statistics of the last step (PyTorch's rule). */
  #commitBatchStats(): void {
    tf.tidy(() => {
      for (const { key, mean, variance, count } of this.#pending) {
        const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
        const movingMean = this.variables.get(`${key}/movingMean`)!;
        const movingVariance = this.variables.get(`${key}/movingVariance`)!;
        movingMean.assign(tf.add(tf.mul(movingMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
        movingVariance.assign(
          tf.add(tf.mul(movingVariance, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)),
        );
      }
    });
    this.#discardBatchStats();
  }

  #discardBatchStats(): void {
    for (const s of this.#pending) tf.dispose([s.mean, s.variance]);
    this.#pending = [];
  }
}

/**
 * Global contrast normalisation with the l1 norm, per image (the paper's preprocessing):
 * x - mean(x), divided by mean(|x - mean(x)|) (1 for a flat image, which stays 0).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import { contrastNormalise } from "./network.ts";
 * await tf.setBackend("cpu");
 * const x = contrastNormalise(tf.tensor4d([1, 3, 1, 3], [1, 2, 2, 1]));
 * assertEquals(Array.from(x.dataSync()), [-1, 1, -1, 1]);
 * ```
 */
export function contrastNormalise(images: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const centred = tf.sub(images, tf.mean(images, [1, 2, 3], true));
    const scale = tf.mean(tf.abs(centred), [1, 2, 3], true);
    const safe = tf.where(tf.greater(scale, 0), scale, tf.onesLike(scale));
    return tf.div(centred, safe) as tf.Tensor4D;
  });
}

/**
 * The initial value of every tensor, keyed and ordered as in the model: conv kernels
 * [k, k, in, out] and the dense kernel [in, out], uniform in +-1/sqrt(fan in); BatchNorm moving
 * mean 0 and variance 1; the centre 0.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveConfig } from "./config.ts";
 * import { initialValues } from "./network.ts";
 * const values = initialValues(resolveConfig({}), 0);
 * assertEquals(values.get("encoder/dense/kernel")!.shape, [4 * 8 * 8, 32]);
 * ```
 */
export function initialValues(config: DeepSvddConfig, seed: number): NamedTensors {
  const rng = createRng(seed);
  const values: NamedTensors = new Map();
  const uniform = (n: number, fanIn: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return Float32Array.from({ length: n }, () => (2 * rng() - 1) * bound);
  };
  const { kernel: k, channels, widths, imageSize, representation } = config;
  const inputs = [channels, widths[0]];
  widths.forEach((out, i) => {
    const key = `encoder/conv${i + 1}`;
    values.set(`${key}/kernel`, {
      shape: [k, k, inputs[i], out],
      data: uniform(k * k * inputs[i] * out, k * k * inputs[i]),
    });
    values.set(`${key}/movingMean`, { shape: [out], data: new Float32Array(out) });
    values.set(`${key}/movingVariance`, { shape: [out], data: new Float32Array(out).fill(1) });
  });
  const flat = (imageSize / 4) ** 2 * widths[1];
  values.set("encoder/dense/kernel", {
    shape: [flat, representation],
    data: uniform(flat * representation, flat),
  });
  values.set(CENTRE, { shape: [representation], data: new Float32Array(representation) });
  return values;
}
