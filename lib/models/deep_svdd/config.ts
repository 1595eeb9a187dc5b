/**
 * Deep SVDD's configuration: one typed object with its defaults in one place, after Ruff et al.,
 * "Deep One-Class Classification", ICML 2018, section 4 and their code (`lukasruff/Deep-SVDD-PyTorch`,
 * `MNIST_LeNet`): a bias-free LeNet-type encoder of two 5x5 conv blocks (8 then 4 channels, each
 * BatchNorm without affine parameters, leaky ReLU, 2x2 max-pooling) and a dense layer to a
 * 32-dimensional output; Adam at learning rate 1e-4 with weight decay 0.5e-6; the centre's entries
 * closer to 0 than 0.1 pushed to +-0.1.
 *
 * @module
 */

import type { ModelConfig, ModelSettings } from "../anomaly_model.ts";

/** Everything that fixes a Deep SVDD's shape, its training and its centre. */
export interface DeepSvddConfig extends ModelConfig {
  /** Output channels of the two conv blocks (paper, MNIST: [8, 4]). */
  widths: [number, number];
  /** Side of the square conv kernels (paper: 5). */
  kernel: number;
  /** Dimension of the output phi(x), the space the centre c lives in (paper: 32). */
  representation: number;
  /** Adam's step size (paper: 1e-4). */
  learningRate: number;
  beta1: number;
  beta2: number;
  /** lambda of the weight decay (lambda / 2) sum ||W||^2 (paper's code: 0.5e-6). */
  weightDecay: number;
  /** Entries of c with |c_j| below this are pushed to +-it (paper's code: 0.1). */
  centreEpsilon: number;
  /** Negative slope of the leaky ReLU (PyTorch's F.leaky_relu default, as the paper's code). */
  leakySlope: number;
  /** BatchNorm's epsilon in the variance (paper's code: 1e-4). */
  batchNormEpsilon: number;
  /**
   * Global contrast normalisation of each input image (paper: l1 GCN, x - mean(x) divided by
   * mean(|x - mean(x)|)); `none` feeds the images in [-1, 1] as they come.
   */
  contrast: "l1" | "none";
}

/** The paper's MNIST settings, for 32x32 grey images (the library's MNIST size). */
export const DEFAULT_CONFIG: DeepSvddConfig = {
  imageSize: 32,
  channels: 1,
  widths: [8, 4],
  kernel: 5,
  representation: 32,
  learningRate: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  weightDecay: 0.5e-6,
  centreEpsilon: 0.1,
  leakySlope: 0.01,
  batchNormEpsilon: 1e-4,
  contrast: "l1",
};

/**
 * A full configuration from a partial one; errors name the field and what was expected.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { resolveConfig } from "./config.ts";
 * assertEquals(resolveConfig({ imageSize: 28 }).widths, [8, 4]);
 * assertThrows(() => resolveConfig({ imageSize: 30 }), Error, "imageSize");
 * ```
 */
export function resolveConfig(partial: Partial<DeepSvddConfig> = {}): DeepSvddConfig {
  const config: DeepSvddConfig = { ...DEFAULT_CONFIG, ...partial };
  const { imageSize, channels, widths, kernel, representation } = config;
  if (!Number.isInteger(imageSize) || imageSize < 8 || imageSize % 4 !== 0) {
    throw new Error(
      `imageSize: expected a multiple of 4 from 8 (two 2x2 poolings), got ${imageSize}`,
    );
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`channels: expected 1 or 3, got ${channels}`);
  }
  if (!Array.isArray(widths) || widths.length !== 2 || !widths.every(isPositiveInteger)) {
    throw new Error(`widths: expected two positive integers, got ${JSON.stringify(widths)}`);
  }
  for (const [name, value] of [["kernel", kernel], ["representation", representation]] as const) {
    if (!isPositiveInteger(value)) {
      throw new Error(`${name}: expected a positive integer, got ${value}`);
    }
  }
  if (kernel % 2 !== 1) throw new Error(`kernel: expected an odd size, got ${kernel}`);
  for (
    const name of ["learningRate", "weightDecay", "centreEpsilon", "batchNormEpsilon"] as const
  ) {
    if (!(config[name] >= 0) || !Number.isFinite(config[name])) {
      throw new Error(`${name}: expected a finite number >= 0, got ${config[name]}`);
    }
  }
  if (config.contrast !== "l1" && config.contrast !== "none") {
    throw new Error(`contrast: expected 'l1' or 'none', got '${config.contrast}'`);
  }
  return config;
}

/**
 * A configuration from a run's settings (`deno task train --model-kind deep-svdd`): `--width W`
 * is the first conv block's channels, the second has half as many (the paper's 8 and 4); any
 * field of {@link DeepSvddConfig} is taken as it is. `--latent` (EDE-GAN's latent constraint)
 * is refused, naming the flag.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { configFromSettings } from "./config.ts";
 * assertEquals(configFromSettings({ width: 16 }, { imageSize: 32, channels: 1 }).widths, [16, 8]);
 * assertThrows(() => configFromSettings({ latent: "tanh" }, { imageSize: 32, channels: 1 }),
 *   Error, "--latent");
 * ```
 */
export function configFromSettings(
  settings: ModelSettings,
  images: { imageSize: number; channels: number },
): DeepSvddConfig {
  const { width, latent, ...fields } = settings as Partial<DeepSvddConfig> & {
    width?: unknown;
    latent?: unknown;
  };
  if (latent !== undefined) {
    throw new Error(
      `--latent ${latent}: a deep-svdd model has no latent constraint (its output phi(x) is ` +
        "unbounded); leave --latent out",
    );
  }
  const widths: [number, number] | undefined = width === undefined ? undefined : (() => {
    if (!isPositiveInteger(width)) {
      throw new Error(`--width: expected a positive integer, got ${width}`);
    }
    return [width, Math.max(1, Math.round(width / 2))];
  })();
  return resolveConfig({ ...fields, ...(widths ? { widths } : {}), ...images });
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1;
}
