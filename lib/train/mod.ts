/**
 * Training any `AnomalyModel`: the loop (`fit`, with checkpoints every epoch and `--resume`), a
 * whole run from data to metrics and files (`trainRun`), the checkpoint format, the average of
 * the generator's weights (`--ema`) and the signs of under-training. The run's manifest is
 * lib/run's; the run sizes (presets) too.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { checkTrainOptions, resumeDifferences } from "./mod.ts";
 * checkTrainOptions({ epochs: 1, batchSize: 16 });
 * assertEquals(resumeDifferences({ data: { normalClass: 1 } }, { data: { normalClass: 7 } }), [
 *   "--normal 1 -> 7",
 * ]);
 * ```
 *
 * @module
 */
export * from "./trainer.ts";
export * from "./run.ts";
export * from "./checkpoint.ts";
export * from "./ema.ts";
export * from "./under_training.ts";
