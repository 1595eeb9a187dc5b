/**
 * The fused ops of edegan's models and optimiser: each runs one kernel where the active backend
 * registers it (`lib/backend/kernels.ts`) and composes tfjs's own ops elsewhere, with the same
 * result. Models and optimisers call these and never ask which backend is active.
 *
 * @module
 */

export { batchNormActivation, type BatchNormActivationResult } from "./batch_norm_activation.ts";
export { activation } from "./activation.ts";
export {
  batchStatistics,
  type ChannelStatistics,
  type CollectedStatistics,
  movingStatistics,
} from "./batch_statistics.ts";
export { type AdamFlatResult, type AdamSegment, adamUpdateFlat } from "./adam_update.ts";
export { type BatchStatistic, updateMovingAverages } from "./moving_averages.ts";
export { realFakeCrossEntropy } from "./real_fake_cross_entropy.ts";
export {
  generatorLoss,
  type GeneratorLossInputs,
  type GeneratorLossTerms,
} from "./generator_loss.ts";
export {
  scoreActivation,
  scoreBatchNormActivation,
  scoreConv2d,
  scoreConv2dTranspose,
  scoreSequence,
  scoringKernelsActive,
} from "./scoring.ts";
export type { ScoreActivation, ScoreStep } from "./scoring.ts";
export * from "./kernel_names.ts";
