/**
 * EDE-GAN's narrower copies, the students of a distillation (P-KDGAN, Zhang et al., arXiv
 * 2109.07295): a student's configuration is the teacher's with another base width and latent
 * size, and its cost is its generator's (E1, Dec, E2: the scoring path), the figure compression
 * ratios are taken on. {@link narrowerCosts} gives the costs the student width search of
 * `lib/distill/students.ts` needs from a configuration alone, without building a model.
 *
 * @module
 */

import { type EdeGanConfig, resolveConfig } from "./config.ts";
import { modelCost } from "./cost.ts";
import type { DistillableCost, NarrowerCosts, NarrowerShape } from "../distillable.ts";

/**
 * A student's configuration: the teacher's, with another width (and optionally latent size, or
 * explicit per-block widths); the teacher's per-block widths are dropped.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { studentConfig } from "./narrower.ts";
 * import { resolveConfig } from "./config.ts";
 * const s = studentConfig(resolveConfig({ widths: [64, 96, 128] }), { width: 8 });
 * assertEquals([s.width, s.latentSize, s.widths], [8, 100, undefined]);
 * ```
 */
export function studentConfig(
  teacher: EdeGanConfig,
  size: NarrowerShape & { widths?: number[] },
): EdeGanConfig {
  const { widths: _drop, ...rest } = teacher;
  return resolveConfig({
    ...rest,
    width: size.width,
    latentSize: size.latentSize ?? teacher.latentSize,
    ...(size.widths ? { widths: size.widths } : {}),
  });
}

/**
 * The scoring path's (generator's) parameters, MFLOPs and MACs per image of a configuration.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { scoringPathCost } from "./narrower.ts";
 * import { resolveConfig } from "./config.ts";
 * assertEquals(scoringPathCost(resolveConfig()).params, 3_200_384);
 * ```
 */
export function scoringPathCost(config: EdeGanConfig): DistillableCost {
  const cost = modelCost(config);
  return {
    params: cost.generator.params,
    mflops: cost.generatorMflops,
    macs: cost.generator.macs,
  };
}

/**
 * The costs of an EDE-GAN of `config` and of its narrower copies, for the student width search,
 * from the configuration alone (an `EdeGan` gives the same as a {@link NarrowerCosts} itself).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { narrowerCosts } from "./narrower.ts";
 * import { resolveConfig } from "./config.ts";
 * const costs = narrowerCosts(resolveConfig());
 * assertEquals(costs.baseShape, { width: 64, latentSize: 100 });
 * const ratio = costs.cost().macs / costs.costOf({ width: 12 }).macs;
 * assertEquals(Math.round(ratio * 10) / 10, 24.4); // the paper's 24.45:1
 * ```
 */
export function narrowerCosts(config: EdeGanConfig): NarrowerCosts {
  return {
    baseShape: { width: config.width, latentSize: config.latentSize },
    cost: () => scoringPathCost(config),
    costOf: (shape) => scoringPathCost(studentConfig(config, shape)),
  };
}
