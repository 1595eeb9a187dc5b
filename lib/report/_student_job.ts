/**
 * A distilled student's job in its distillation: `jobs/<job>.json`, which `deno task distill`
 * writes beside the student's folder `jobs/<job>/`, keeps what the student's own `run.json` does
 * not: the losses and the test AUC of every epoch of its two stages (P-KDGAN's step 1 and step 2),
 * the best-epoch AUC of the reference code's protocol and the student's agreement with its teacher
 * on the validation normals. A shipped student, or a folder moved away from its distillation, has
 * no such file beside it.
 *
 * @module
 */

import { basename, dirname, join } from "@std/path";
import type { LossRecord } from "../viz/analysis.ts";
import { type JobEpoch, type JobFile, readJobFile } from "./_files.ts";

/** The name in legends of a stage's epochs: `P-KDGAN step 1`, `stage 2 (alone)`. */
export type StagePhase = (record: JobEpoch) => string | undefined;

/** P-KDGAN's two steps by their names in the papers. */
export const PKDGAN_STEPS: StagePhase = (h) =>
  h.stage !== undefined ? `P-KDGAN step ${h.stage}` : undefined;

/**
 * Loss records for `lossPanels` from a student job's `history`: one per epoch of each stage, in
 * order (x: the epoch counted over both stages), each stage a phase of its own: the generator's
 * three terms, the discriminator's loss, the distillation loss K and the test AUC.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { jobLossRecords, PKDGAN_STEPS } from "./_student_job.ts";
 * const records = jobLossRecords(
 *   [{ epoch: 1, stage: 1, distillation: 2 }, { epoch: 1, stage: 2, distillation: 1, auc: 0.9 }],
 *   PKDGAN_STEPS,
 * );
 * assertEquals(records.map((r) => [r.epoch, r.phase, r.auc]),
 *   [[1, "P-KDGAN step 1", undefined], [2, "P-KDGAN step 2", 0.9]]);
 * ```
 */
export function jobLossRecords(history: JobEpoch[], phase: StagePhase): LossRecord[] {
  return history.map((h, i) => ({
    epoch: i + 1,
    phase: phase(h),
    adversarial: h.adversarial,
    contextual: h.contextual,
    latent: h.latent,
    lossD: h.lossD,
    distillation: h.distillation,
    auc: h.auc,
  }));
}

/**
 * The job file of the student folder `runDir` (`<distillation>/jobs/<job>/`): the
 * `<job>.json` beside it, when the folder keeps its job's name (`job`, from its `run.json`);
 * undefined when there is none (a shipped student, a renamed folder).
 *
 * @throws {Error} naming the file and the field when the file is there but mistyped.
 */
export async function jobBeside(
  runDir: string,
  job: string | undefined,
): Promise<{ path: string; file: JobFile } | undefined> {
  const name = basename(runDir);
  if (job !== undefined && job !== name) return undefined;
  const path = join(dirname(runDir), `${name}.json`);
  const file = await readJobFile(path);
  return file ? { path, file } : undefined;
}

/** The columns of a job's epoch table, in order. */
export const JOB_EPOCH_COLUMNS: (keyof JobEpoch)[] = [
  "stage",
  "epoch",
  "structure",
  "adversarial",
  "contextual",
  "latent",
  "lossD",
  "distillation",
  "auc",
];
