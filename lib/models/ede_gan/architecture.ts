/**
 * The layer-by-layer shape of each part of an EDE-GAN (E1, Dec, E2, D), as plain data. The network
 * ({@link ./ede_gan.ts}) runs these specs and the cost accounting ({@link ./cost.ts}) counts them.
 *
 * The blocks follow DCGAN/GANomaly: encoders and the discriminator are 4x4 stride-2 convolutions
 * with BatchNorm (not on the first block) and LeakyReLU(0.2), ending in a 4x4 valid convolution to
 * the latent; the decoder mirrors them with transposed convolutions, BatchNorm and ReLU, and a tanh
 * output. No layer has a bias (BatchNorm's beta plays its part), as in GANomaly.
 *
 * @module
 */

import { blockWidths, type EdeGanConfig } from "./config.ts";

/** One convolution (or transposed convolution) with what follows it. */
export interface LayerSpec {
  /** Unique within its part: `conv0`, `extra0`, `final`, ... */
  name: string;
  kind: "conv" | "convTranspose";
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: "same" | "valid";
  /** Side of the square input and output. */
  inSize: number;
  outSize: number;
  batchNorm: boolean;
  activation: "leakyRelu" | "relu" | "tanh" | "none";
}

/** The four parts of an EDE-GAN. */
export type PartName = "encoder1" | "decoder" | "encoder2" | "discriminator";

/** All parts, in the order of the scoring path, then the discriminator. */
export const PARTS: readonly PartName[] = ["encoder1", "decoder", "encoder2", "discriminator"];

/**
 * The layers of an encoder with `outChannels` outputs: E1 and E2 (the latent size) and D (1 logit;
 * its features are the output of the layer before `final`).
 *
 * @example
 * ```ts
 * import { encoderLayers } from "./architecture.ts";
 * import { resolveConfig } from "./config.ts";
 * const layers = encoderLayers(resolveConfig(), 100);
 * if (layers.at(-1)!.outSize !== 1) throw new Error("ends at 1x1");
 * ```
 */
export function encoderLayers(config: EdeGanConfig, outChannels: number): LayerSpec[] {
  const widths = blockWidths(config);
  const layers: LayerSpec[] = [];
  let size = config.imageSize;
  let channels = config.channels;
  widths.forEach((width, i) => {
    layers.push({
      name: `conv${i}`,
      kind: "conv",
      inChannels: channels,
      outChannels: width,
      kernel: 4,
      stride: 2,
      padding: "same",
      inSize: size,
      outSize: size / 2,
      batchNorm: i > 0,
      activation: "leakyRelu",
    });
    size /= 2;
    channels = width;
    if (i === 0) layers.push(...extraLayers(config, channels, size, "leakyRelu"));
  });
  layers.push({
    name: "final",
    kind: "conv",
    inChannels: channels,
    outChannels,
    kernel: 4,
    stride: 1,
    padding: "valid",
    inSize: 4,
    outSize: 1,
    batchNorm: false,
    activation: "none",
  });
  return layers;
}

/** GANomaly's optional extra blocks: 3x3 stride-1 convolutions that keep size and channels. */
function extraLayers(
  config: EdeGanConfig,
  channels: number,
  size: number,
  activation: "leakyRelu" | "relu",
): LayerSpec[] {
  return Array.from({ length: config.extraLayers }, (_, e) => ({
    name: `extra${e}`,
    kind: "conv" as const,
    inChannels: channels,
    outChannels: channels,
    kernel: 3,
    stride: 1,
    padding: "same" as const,
    inSize: size,
    outSize: size,
    batchNorm: true,
    activation,
  }));
}

/**
 * The decoder's layers: latent (1x1) to 4x4, then doubling to the image size, tanh at the end.
 *
 * @example
 * ```ts
 * import { decoderLayers } from "./architecture.ts";
 * import { resolveConfig } from "./config.ts";
 * const layers = decoderLayers(resolveConfig());
 * if (layers.at(-1)!.activation !== "tanh") throw new Error();
 * ```
 */
export function decoderLayers(config: EdeGanConfig): LayerSpec[] {
  const widths = blockWidths(config).reverse();
  const layers: LayerSpec[] = [{
    name: "initial",
    kind: "convTranspose",
    inChannels: config.latentSize,
    outChannels: widths[0],
    kernel: 4,
    stride: 1,
    padding: "valid",
    inSize: 1,
    outSize: 4,
    batchNorm: true,
    activation: "relu",
  }];
  let size = 4;
  for (let i = 0; i < widths.length; i++) {
    const last = i === widths.length - 1;
    if (last) layers.push(...extraLayers(config, widths[i], size, "relu"));
    layers.push({
      name: last ? "final" : `deconv${i}`,
      kind: "convTranspose",
      inChannels: widths[i],
      outChannels: last ? config.channels : widths[i + 1],
      kernel: 4,
      stride: 2,
      padding: "same",
      inSize: size,
      outSize: size * 2,
      batchNorm: !last,
      activation: last ? "tanh" : "relu",
    });
    size *= 2;
  }
  return layers;
}

/**
 * The layers of one part.
 *
 * @example
 * ```ts
 * import { partLayers } from "./architecture.ts";
 * import { resolveConfig } from "./config.ts";
 * console.log(partLayers(resolveConfig(), "discriminator").length);
 * ```
 */
export function partLayers(config: EdeGanConfig, part: PartName): LayerSpec[] {
  switch (part) {
    case "encoder1":
    case "encoder2":
      return encoderLayers(config, config.latentSize);
    case "decoder":
      return decoderLayers(config);
    case "discriminator":
      return encoderLayers(config, 1);
  }
}
