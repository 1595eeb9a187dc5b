/**
 * The run manifest (`run.json`): one schema (zod), one reader, one writer, and the stamp every
 * recorded result carries (versions, git commit, machine, time).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readRunManifest, writeRunManifest } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await writeRunManifest(`${dir}/run.json`, {
 *   kind: "train", status: "running", training: { epochs: 3, batchSize: 64, seed: 0 },
 * });
 * const run = await readRunManifest(`${dir}/run.json`);
 * assertEquals(run?.kind === "train" ? run.training.epochs : 0, 3);
 * ```
 *
 * @module
 */
export {
  type BackendRecord,
  type CalibrationRecord,
  type DataRecord,
  type DistillRunManifest,
  type EpochRecord,
  type Measured,
  type MetricsRecord,
  type ModelConfigRecord,
  parseRunManifest,
  readRunManifest,
  RUN_KINDS,
  type RunManifest,
  type RunManifestBody,
  runTraining,
  type ScoringRecord,
  type StudentRunManifest,
  type TrainingRecord,
  type TrainRunManifest,
  writeRunManifest,
} from "./manifest.ts";
export {
  EDEGAN_VERSION,
  type MachineInfo,
  machineInfo,
  type Provenance,
  provenance,
  type Versions,
  versions,
  writeManifest,
} from "./provenance.ts";
export { edeganGitState, type GitState, readGitState } from "./git_state.ts";
