/**
 * The published results read back: the full-length teachers (results/teachers) and their
 * distillations (results/students), as the results tables, the README headline
 * (`results/summary.ts`) and the results notebook use them.
 *
 * @example
 * ```ts
 * import { epochToEpochChange } from "./mod.ts";
 * if (epochToEpochChange([0.9, 0.9]) !== 0) throw new Error();
 * ```
 *
 * @module
 */

export {
  type AveragingSpread,
  averagingSpread,
  chosenLatentAuc,
  epochToEpochChange,
  FULL_EPOCHS,
  loadTeacherRuns,
  type ScoredModel,
  scoredModels,
  type ScoreStudySummary,
  studyAuc,
  type TeacherRun,
} from "./teacher_runs.ts";
export {
  bestEpochGain,
  type Distillation,
  type DistilledStudent,
  gainByTeacherLead,
  type GainGroup,
  loadDistillations,
  nearestRatio,
  nearestStudent,
  type RatioSummary,
  studentsByRatio,
} from "./distillations.ts";
export { type MeanInterval, meanInterval, median } from "./stats.ts";
