/**
 * A distilled student kept as a run: `jobs/<job>/` beside the job's result file holds `model/`
 * (weights and the threshold calibrated on the validation normals), `scores.csv` (its test scores
 * and decisions) and `run.json` (kind `student`: how it was trained, from which teacher, on which
 * data), the layout of a `deno task train` run, so that `deno task score --model`, `deno task ship`
 * and every other loader take it as they take a run.
 *
 * @module
 */

import { join } from "@std/path";
import type { AnomalyModel } from "../models/mod.ts";
import type { OneClassSplit } from "../data/types.ts";
import { calibrate, type Calibration } from "../score/calibrate.ts";
import { writeScoresCsv } from "../score/csv.ts";
import { saveModel } from "../train/checkpoint.ts";
import { writeRunManifest } from "../run/manifest.ts";
import { replaceFolderAtomic } from "../util/atomic.ts";

/** How a student was trained, recorded in its `run.json` under `student`. */
export interface StudentRunInfo {
  /** The job's name (`w4-l100-pkdgan`). */
  job: string;
  method: string;
  init: "random" | "teacher";
  /** Teacher FLOPs / student FLOPs along the scoring path. */
  ratio: number;
  epochs: { step1: number; step2: number };
  batchSize: number;
  seed: number;
  /** Where the teacher came from (`--model`, or the experiment's `teacher/` run). */
  teacher: string;
  /** False-positive rate of the threshold on the validation normals (default 0.05). */
  fpr?: number;
  /**
   * The BatchNorm statistics the scores were computed with (the job's final mode; default the
   * moving averages): `run.json` records it as `scoring.bnStats`, which `deno task score` follows.
   */
  bnStats?: "moving" | "per-image" | "recomputed";
}

/**
 * Writes the student run `dir` (atomically, replacing what was there): the model with a threshold
 * calibrated on `scores.val` (the validation normals' scores), `scores.csv` from `scores.test`
 * (test-set order), and `run.json`. Both score lists are in the BatchNorm mode `info.bnStats`
 * (the job's final scoring gives them). Returns the calibration.
 *
 * @throws {Error} naming `dir` when a score list's length is not its set's image count.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { EdeGan, loadEdeGan } from "../models/ede_gan/mod.ts";
 * import { saveStudentRun } from "./student_run.ts";
 * const set = { pixels: new Uint8Array(2 * 32 * 32).map((_, i) => i % 251), labels: new Int32Array(2),
 *   count: 2, height: 32, width: 32, channels: 1 };
 * const data = { train: set, val: set, test: set, testIsAnomaly: new Uint8Array([0, 1]),
 *   manifest: { dataset: "mnist", normalClass: 0, protocol: "one-class" } } as never;
 * const student = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const dir = `${await Deno.makeTempDir()}/w2-pkdgan`;
 * const scores = { test: new Float32Array([0.1, 0.2]), val: new Float32Array([0.1, 0.3]) };
 * const calibration = await saveStudentRun(dir, student, data, scores, {
 *   job: "w2-pkdgan", method: "pkdgan", init: "random", ratio: 700, batchSize: 2, seed: 0,
 *   epochs: { step1: 1, step2: 1 }, teacher: "teacher" });
 * assertEquals((await loadEdeGan(`${dir}/model`)).calibration, calibration);
 * assertEquals([calibration.count, calibration.max], [2, Math.fround(0.3)]);
 * student.dispose();
 * ```
 */
export async function saveStudentRun(
  dir: string,
  student: AnomalyModel,
  data: OneClassSplit,
  scores: { test: Float32Array; val: Float32Array },
  info: StudentRunInfo,
): Promise<Calibration> {
  const bnStats = info.bnStats ?? "moving";
  for (const [part, count] of [["val", data.val.count], ["test", data.test.count]] as const) {
    if (scores[part].length !== count) {
      throw new Error(
        `saveStudentRun ${dir}: ${scores[part].length} ${part} scores for ${count} ${part} images`,
      );
    }
  }
  const calibration = calibrate(scores.val, info.fpr ?? 0.05);
  await replaceFolderAtomic(dir, async (tmp) => {
    await saveModel(join(tmp, "model"), student, { calibration });
    await writeScoresCsv(
      join(tmp, "scores.csv"),
      scores.test,
      data.testIsAnomaly,
      data.test.labels,
      calibration,
    );
    await writeRunManifest(join(tmp, "run.json"), {
      kind: "student",
      status: "finished",
      student: { ...info, fpr: info.fpr ?? 0.05, bnStats },
      // As a train run records them (`deno task score` recomputes BatchNorm statistics at this
      // batch size).
      training: { epochs: info.epochs, batchSize: info.batchSize, seed: info.seed },
      model: student.name,
      config: { ...student.config },
      data: data.manifest,
      calibration,
      scoring: { bnStats },
    });
  });
  return calibration;
}
