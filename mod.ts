/**
 * edegan: one-class novelty detection with GANs on Deno.
 *
 * - **EDE-GAN**: a generator Encoder1 -> Decoder -> Encoder2 and a discriminator; the anomaly
 *   score is the distance between z = E1(x) and z_hat = E2(Dec(z)).
 * - **P-KDGAN**: progressive knowledge distillation of a large EDE-GAN teacher into small
 *   students (step 1: frozen teacher; step 2: joint fine-tuning).
 * - Data (MNIST built in, Fashion-MNIST, CIFAR-10, folders), the one-class protocol, exact ROC
 *   AUC and friends, plotly figures and HTML reports, and backends from wasm to WebGPU and native
 *   TensorFlow.
 * - Export of a trained model's scoring path to TF.js and ONNX (`exportRun`), and a page that
 *   scores images in the browser (`serveScoringPage`).
 * - The published campaign read back (`loadTeacherRuns`, `loadDistillations`): the full-length
 *   teachers and students of `results/`, as its tables and the results notebook use them.
 *
 * @example Train a detector on MNIST digit 1 and read its test AUC
 * ```ts ignore
 * import { selectBackend, trainRun } from "./mod.ts";
 * await selectBackend("auto");
 * const run = await trainRun({
 *   dataset: "mnist", normal: 1, epochs: 1, batchSize: 16, seed: 0,
 *   model: { width: 16 }, limit: 1024,
 * });
 * console.log(run.metrics.auc);
 * run.model.dispose();
 * ```
 *
 * @module
 */

export * as tf from "./lib/tf.ts";

// Backends
export {
  type BackendChoice,
  type BackendName,
  BACKENDS,
  type BackendSelection,
  BackendUnavailableError,
  defaultBackendChoice,
  parseBackendChoice,
  selectBackend,
} from "./lib/backend/select.ts";
export { registerWasmTrainingKernels } from "./lib/backend/wasm_kernels/register.ts";

// Data
export type {
  DataManifest,
  DatasetName,
  ImageSet,
  LabelledDataset,
  OneClassSplit,
  Protocol,
  SkippedFiles,
} from "./lib/data/types.ts";
export { loadOneClass, type OneClassOptions } from "./lib/data/protocol.ts";
export {
  BUILT_IN_DATASETS,
  checkNormalClass,
  DATASET_NAMES,
  type DatasetSpec,
  datasetSpec,
  registerDataset,
} from "./lib/data/registry.ts";
export { batchIndices, batchTensor } from "./lib/data/batches.ts";
export { prepareImageSet, prepareRgbImage } from "./lib/data/preprocess.ts";
export { type DecodedImage, decodeImage } from "./lib/data/folder.ts";

// Models: the interface the engine takes, the registry by name, EDE-GAN and Deep SVDD
export type {
  AnomalyModel,
  FinalScoring,
  Losses,
  ModelConfig,
  ModelSettings,
  NamedTensors,
  Optimisers,
  ScoreBatch,
  ScoreRequest,
  StepContext,
} from "./lib/models/anomaly_model.ts";
export {
  batchNormScoringOf,
  checkModelKind,
  createModel,
  DEFAULT_MODEL,
  type ModelEntry,
  modelFromTensors,
  registeredModels,
  registerModel,
} from "./lib/models/registry.ts";
export type { BatchNormScoring } from "./lib/models/batch_norm_scoring.ts";
export {
  asEdeGan,
  compressionRatio,
  createOptimisers,
  DEFAULT_CONFIG,
  discriminatorLoss,
  EdeGan,
  type EdeGanConfig,
  type EdeGanOptimisers,
  generatorLoss,
  type GeneratorOutput,
  type LatentConstraint,
  latentDistance,
  layerCost,
  loadEdeGan,
  type ModelCost,
  modelCost,
  narrowerCosts,
  resolveConfig,
  SCORE_KINDS,
  type ScoreDistance,
  scoreEdeGan,
  type ScoreKind,
  type StepLosses,
  studentConfig,
  trainStep,
} from "./lib/models/ede_gan/mod.ts";
// Deep SVDD, the second model and the one-class baseline (`modelKind: "deep-svdd"`)
export { DeepSvdd, type DeepSvddConfig } from "./lib/models/deep_svdd/mod.ts";

// Training and scoring
export {
  DivergenceError,
  type EpochRecord,
  fit,
  type FitOptions,
  type FitResult,
  type StepRecord,
} from "./lib/train/trainer.ts";
export {
  checkRunData,
  checkTrainOptions,
  resumeDifferences,
  type RunMetrics,
  trainRun,
  type TrainRunOptions,
  type TrainRunResult,
} from "./lib/train/run.ts";
export {
  type LoadedModel,
  loadEmaState,
  loadModel,
  MODEL_FORMAT,
  saveModel,
} from "./lib/train/checkpoint.ts";
export { checkEmaDecay, type EmaState, GeneratorEma } from "./lib/train/ema.ts";

// The run manifest (run.json): one schema, one reader, one writer
export {
  parseRunManifest,
  readRunManifest,
  type RunManifest,
  writeRunManifest,
} from "./lib/run/mod.ts";
export { scoreImages, type ScoreOptions, type ScoreResult } from "./lib/score/score.ts";
export { loadImageFolder, scalePixels } from "./lib/score/images.ts";
export {
  BATCH_NORM_STATS_MODES,
  type BatchNormStatistics,
  type BatchNormStatsMode,
  recomputeBatchNormStats,
  withBatchNormStats,
} from "./lib/models/ede_gan/batch_norm_stats.ts";
export {
  type BatchNormChoice,
  chooseBatchNormStats,
} from "./lib/models/ede_gan/choose_batch_norm_stats.ts";
export {
  checkFinalBatchNorm,
  defaultFinalBatchNorm,
  type FinalBatchNormOption,
  type FinalBatchNormScoring,
  finalBatchNormScoring,
} from "./lib/models/ede_gan/final_batch_norm.ts";
export { compareScoreKinds, type ScoreKindRow } from "./lib/models/ede_gan/compare_kinds.ts";
export { calibrate, type Calibration, decide, normaliseScore } from "./lib/score/calibrate.ts";
export { readScoresCsv, type ScoreRows } from "./lib/score/csv.ts";
export {
  type PoolScoreOptions,
  SCORER_RUNTIMES,
  ScorerPool,
  type ScorerPoolOptions,
  type ScorerRuntime,
  sliceCounts,
} from "./lib/score/scorer_pool.ts";

// Export: the scoring path as a TF.js graph model or an ONNX model, and the scoring page
export {
  EXPORT_METADATA_FILE,
  type ExportFormat,
  type ExportMetadata,
  type ExportOptions,
  type ExportResult,
  exportRun,
  onnxModel,
  type ScoringPage,
  type ScoringPath,
  scoringPath,
  serveScoringPage,
  tfjsGraphModel,
} from "./lib/export/mod.ts";

// Metrics
export {
  averagePrecision,
  BEST_TEST_EPOCH_LABEL,
  bestTestEpoch,
  f1AtThreshold,
  type MeanStd,
  meanStd,
  minMaxNormaliser,
  rocAuc,
  rocCurve,
  thresholdAtFpr,
} from "./lib/metrics/mod.ts";

// Distillation
export {
  DEFAULT_DISTILLATION_WEIGHTS,
  distillationLoss,
  type DistillationWeights,
  latentProjection,
  parseKdWeights,
} from "./lib/distill/kd_loss.ts";
export {
  distillStage,
  distillStudent,
  type Method,
  METHODS,
  methodStages,
  STAGE1_STRUCTURES,
  type Stage1Structure,
  type Structure,
} from "./lib/distill/pkdgan.ts";
export {
  initialiseFromTeacher,
  PAPER_RATIOS,
  STUDENT_LATENT_RULES,
  studentForRatio,
  type StudentLatentRule,
  studentSizes,
} from "./lib/distill/students.ts";
export {
  VALIDATION_AGREEMENT_CRITERION,
  validationAgreement,
} from "./lib/distill/validation_agreement.ts";
export {
  type DistillDesign,
  distillDesign,
  type DistillExperimentOptions,
  type DistillResults,
  runDistillExperiment,
} from "./lib/distill/experiment.ts";
export {
  parseStudentChoices,
  RATIO_TOLERANCE,
  type ResolvedStudent,
  resolveStudentChoice,
  type StudentChoice,
} from "./lib/distill/student_choice.ts";
export {
  FileFieldError,
  readDistillResults,
  STUDENT_COLUMNS,
  type StudentResult,
  type StudentResultRow,
  type TeacherResult,
  writeDistillResults,
} from "./lib/distill/results.ts";
export { saveStudentRun, type StudentRunInfo } from "./lib/distill/student_run.ts";

// Shipped models (models/, `shipped:NAME`)
export * from "./lib/ship/mod.ts";

// Reports
export { writeRunReport } from "./lib/report/run_report.ts";

// Pictures
export * from "./lib/viz/mod.ts";

// Sweeps
export * from "./lib/sweep/mod.ts";

// Published results (results/teachers, results/students) read back
export * from "./lib/results/mod.ts";

// Presets
export { preset, type PresetName, PRESETS } from "./lib/run/presets.ts";
