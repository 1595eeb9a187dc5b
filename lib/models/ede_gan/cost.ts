/**
 * Cost accounting from layer shapes: parameters and multiply-accumulates (MACs) per image, per part.
 *
 * FLOPs are counted as 2 x MACs. The compression ratio of a student is teacher FLOPs / student
 * FLOPs along the generator's scoring path (E1, Dec, E2): the work spent per scored image. The
 * discriminator is shown too but is not needed at scoring time.
 *
 * @module
 */

import { type LayerSpec, partLayers, type PartName, PARTS } from "./architecture.ts";
import type { EdeGanConfig } from "./config.ts";

/** Parameters and MACs per image of one part. */
export interface PartCost {
  params: number;
  macs: number;
}

/** The cost of a whole EDE-GAN. */
export interface ModelCost {
  parts: Record<PartName, PartCost>;
  /** E1 + Dec + E2: the scoring path. */
  generator: PartCost;
  /** G + D. */
  total: PartCost;
  /** 2 x generator MACs / 1e6: the figure compression ratios are taken on. */
  generatorMflops: number;
}

/**
 * Parameters (weights plus BatchNorm's gamma and beta; moving statistics are not parameters) and
 * MACs of one layer. A convolution costs out^2 k^2 cin cout; a transposed one in^2 k^2 cin cout.
 *
 * @example
 * ```ts
 * import { layerCost } from "./cost.ts";
 * const c = layerCost({ name: "conv1", kind: "conv", inChannels: 64, outChannels: 128, kernel: 4,
 *   stride: 2, padding: "same", inSize: 16, outSize: 8, batchNorm: true, activation: "leakyRelu" });
 * if (c.macs !== 8 * 8 * 16 * 64 * 128) throw new Error();
 * ```
 */
export function layerCost(layer: LayerSpec): PartCost {
  const k2 = layer.kernel * layer.kernel;
  const weights = k2 * layer.inChannels * layer.outChannels;
  const positions = layer.kind === "conv" ? layer.outSize ** 2 : layer.inSize ** 2;
  return {
    params: weights + (layer.batchNorm ? 2 * layer.outChannels : 0),
    macs: positions * weights,
  };
}

/**
 * The cost of every part of a model and its totals.
 *
 * @example
 * ```ts
 * import { modelCost } from "./cost.ts";
 * import { resolveConfig } from "./config.ts";
 * const teacher = modelCost(resolveConfig());
 * console.log(teacher.generator.params, teacher.generatorMflops);
 * ```
 */
export function modelCost(config: EdeGanConfig): ModelCost {
  const parts = {} as Record<PartName, PartCost>;
  for (const part of PARTS) parts[part] = sum(partLayers(config, part).map(layerCost));
  const generator = sum([parts.encoder1, parts.decoder, parts.encoder2]);
  return {
    parts,
    generator,
    total: sum([generator, parts.discriminator]),
    generatorMflops: (2 * generator.macs) / 1e6,
  };
}

/**
 * Teacher FLOPs over student FLOPs along the scoring path.
 *
 * @example
 * ```ts
 * import { compressionRatio } from "./cost.ts";
 * import { resolveConfig } from "./config.ts";
 * const r = compressionRatio(resolveConfig(), resolveConfig({ width: 8 }));
 * if (r < 24) throw new Error("width 8 is a strong compression");
 * ```
 */
export function compressionRatio(teacher: EdeGanConfig, student: EdeGanConfig): number {
  return modelCost(teacher).generator.macs / modelCost(student).generator.macs;
}

function sum(costs: PartCost[]): PartCost {
  return costs.reduce((a, b) => ({ params: a.params + b.params, macs: a.macs + b.macs }), {
    params: 0,
    macs: 0,
  });
}
