/**
 * The published results read back and rendered: the full-length teachers (results/teachers), their
 * distillations (results/students) and the design study (results/design), read as the results
 * notebook uses them, and rendered by pure functions into every generated file of results/ (each
 * folder's `tables.md` and the README headline), which `deno task results` rebuilds
 * (`rebuildResults`; `--check` names a stale file).
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
export { loadPaperFigures, type PaperFigures } from "./paper_figures.ts";
export { bestLive, teacherTables } from "./teacher_tables.ts";
export { studentTables } from "./student_tables.ts";
export {
  DEFAULT_RULE_DATASETS,
  type DefaultDatasetVerdict,
  type DefaultDecision,
  defaultDecision,
  DESIGN_STUDY_CLASSES,
  type DesignCell,
  type DesignClassGain,
  type DesignGain,
  designGains,
  designProtocol,
  type DesignProtocolRow,
  designTables,
  K_WEIGHTS_MARGIN,
  type KWeightsDecision,
  kWeightsDecision,
  loadDesignCells,
  type ProtocolGains,
} from "./design_tables.ts";
export {
  applyHeadline,
  type ConstraintPair,
  constraintPairs,
  type HeadlineBlocks,
  headlineBlocks,
  machinesText,
} from "./headline.ts";
export { rebuildResults, type RebuildSummary, renderResults, type ResultsFile } from "./rebuild.ts";
