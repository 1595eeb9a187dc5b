/**
 * The configuration of an EDE-GAN: one typed object with its defaults in one place. Flags,
 * notebooks and presets all build this object.
 *
 * @module
 */

/** The latent-space constraint applied to the outputs of both encoders. */
export type LatentConstraint = "tanh" | "none";

/** The distance between z and z_hat used as anomaly score. */
export type ScoreDistance = "mse" | "l1" | "l2";

/** Everything that fixes an EDE-GAN's shape and losses. */
export interface EdeGanConfig {
  /** Side of the square input images, a power of two from 16 to 128. */
  imageSize: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** Size of z and z_hat. */
  latentSize: number;
  /** Base channel width: the first encoder block has this many channels, doubling per block. */
  width: number;
  /** Explicit channels per block (overrides `width`), first block first. */
  widths?: number[];
  /** Extra 3x3 stride-1 conv blocks after the first block of each encoder (GANomaly's option). */
  extraLayers: number;
  /** Latent-space constraint: `tanh` bounds z and z_hat to (-1, 1); `none` leaves them free. */
  latent: LatentConstraint;
  /** Loss weights of the generator: adversarial (feature matching), contextual (L1), latent. */
  weights: { adversarial: number; contextual: number; latent: number };
  /** Adam's learning rate and betas. */
  learningRate: number;
  beta1: number;
  beta2: number;
  /** The score: mean squared (default), mean absolute or Euclidean distance of z and z_hat. */
  scoreDistance: ScoreDistance;
}

/** The defaults: the paper's teacher (width 64, latent 100, 32x32 grey, losses 1/50/1). */
export const DEFAULT_CONFIG: Readonly<EdeGanConfig> = Object.freeze({
  imageSize: 32,
  channels: 1,
  latentSize: 100,
  width: 64,
  extraLayers: 0,
  latent: "tanh",
  weights: Object.freeze({ adversarial: 1, contextual: 50, latent: 1 }),
  learningRate: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
  scoreDistance: "mse",
}) as EdeGanConfig;

/**
 * Fills the defaults into a partial configuration and checks it; errors name the field and what
 * was expected.
 *
 * @example
 * ```ts
 * import { resolveConfig } from "./config.ts";
 * const student = resolveConfig({ width: 8 });
 * if (student.latentSize !== 100) throw new Error("default latent size");
 * ```
 */
export function resolveConfig(partial: Partial<EdeGanConfig> = {}): EdeGanConfig {
  const config: EdeGanConfig = {
    ...DEFAULT_CONFIG,
    ...partial,
    weights: { ...DEFAULT_CONFIG.weights, ...(partial.weights ?? {}) },
  };
  const { imageSize, channels, latentSize, width, extraLayers } = config;
  if (!Number.isInteger(Math.log2(imageSize)) || imageSize < 16 || imageSize > 128) {
    throw new Error(`imageSize: expected a power of two from 16 to 128, got ${imageSize}`);
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`channels: expected 1 or 3, got ${channels}`);
  }
  positiveInteger("latentSize", latentSize);
  positiveInteger("width", width);
  if (!Number.isInteger(extraLayers) || extraLayers < 0) {
    throw new Error(`extraLayers: expected an integer >= 0, got ${extraLayers}`);
  }
  if (config.latent !== "tanh" && config.latent !== "none") {
    throw new Error(`latent: expected 'tanh' or 'none', got '${config.latent}'`);
  }
  if (!["mse", "l1", "l2"].includes(config.scoreDistance)) {
    throw new Error(`scoreDistance: expected mse, l1 or l2, got '${config.scoreDistance}'`);
  }
  if (config.widths !== undefined) {
    const blocks = blockCount(imageSize);
    if (config.widths.length !== blocks) {
      throw new Error(
        `widths: expected ${blocks} channel counts for ${imageSize}x${imageSize} images, ` +
          `got ${config.widths.length}`,
      );
    }
    config.widths.forEach((w, i) => positiveInteger(`widths[${i}]`, w));
  }
  return config;
}

/** Number of stride-2 blocks that take an image of side `imageSize` down to 4x4. */
export function blockCount(imageSize: number): number {
  return Math.log2(imageSize) - 2;
}

/**
 * Channels of each stride-2 block, first block first (`width`, `2 width`, `4 width`, ...).
 *
 * @example
 * ```ts
 * import { blockWidths, resolveConfig } from "./config.ts";
 * if (blockWidths(resolveConfig()).join() !== "64,128,256") throw new Error();
 * ```
 */
export function blockWidths(config: EdeGanConfig): number[] {
  if (config.widths) return [...config.widths];
  return Array.from({ length: blockCount(config.imageSize) }, (_, i) => config.width * 2 ** i);
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name}: expected a positive integer, got ${value}`);
  }
}
