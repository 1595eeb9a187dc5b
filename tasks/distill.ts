/**
 * `deno task distill`: P-KDGAN on one class. Takes the shipped teacher of the class when there is
 * one that matches (`--teacher shipped`, the default; `models/index.json`), else trains one
 * (`--teacher train` always does; `--model RUN` loads a run's), then for
 * each student width trains the student from scratch, by one-step KD and by P-KDGAN, evaluates all
 * on the same test set, and writes `results.json`, `results.csv` and `report.html` to `--out`.
 * Rerunning with the same `--out` skips what is done; a student job killed mid-way resumes from
 * its last finished epoch. Every flag, `--normal` against the dataset's classes, the teacher and
 * each student against it are checked before anything is written (lib/cli/distill_flags.ts,
 * lib/distill/experiment.ts); a refused run leaves no new folder behind. The design flags (`--student-latent`, `--kd-weights`, `--stage1`,
 * `--bn-stats`, `--distill-epochs`, `--batch-size`) are recorded in `run.json` and each job file.
 *
 * @module
 */

import { formatTable, runTask } from "../lib/cli/flags.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { runDataFromFlags, startBackend } from "../lib/cli/run_flags.ts";
import { type DistillCommand, parseDistillCommand } from "../lib/cli/distill_flags.ts";
import { runDistillExperiment } from "../lib/distill/experiment.ts";
import { namingFlags } from "../lib/data/options.ts";
import type { Stage1Structure } from "../lib/distill/pkdgan.ts";
import type { StudentLatentRule } from "../lib/distill/students.ts";
import { BEST_TEST_EPOCH_LABEL } from "../lib/metrics/mod.ts";
import { terminalProgress } from "../lib/util/progress.ts";
import type { LatentConstraint } from "../lib/models/ede_gan/mod.ts";
import { writeRunReport } from "../lib/report/run_report.ts";
import { formatValue } from "../lib/viz/html.ts";
import { lockRunFolder } from "../lib/util/run_lock.ts";
import { prepareOutDir, removeMadeOutDir } from "../lib/util/out_dir.ts";
import { findShippedTeacher, SHIPPED_PREFIX } from "../lib/ship/shipped.ts";
import type { ParsedFlags } from "../lib/cli/flags.ts";

/**
 * `shipped:NAME` of the shipped teacher for the flags' dataset, class, protocol and latent, whose
 * settings equal every teacher setting given on the command line (`--teacher-width`, `--epochs`,
 * `--ema`; `--preset paper` asks for the paper's teacher, trained at batch size 1); undefined,
 * saying why, when there is none.
 */
async function shippedTeacherOf(
  flags: ParsedFlags,
  presetName: string,
): Promise<string | undefined> {
  const given = (flag: string) =>
    Deno.args.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  const paper = presetName === "paper";
  const found = await findShippedTeacher({
    dataset: String(flags.dataset),
    normalClass: flags.normal as number,
    protocol: String(flags.protocol),
    latent: String(flags.latent),
    width: given("teacher-width") || paper ? flags["teacher-width"] as number : undefined,
    epochs: given("epochs") || paper ? flags.epochs as number : undefined,
    batchSize: paper ? flags["batch-size"] as number : undefined,
    ema: given("ema") ? String(flags.ema) : undefined,
  });
  if ("reason" in found) {
    console.log(`teacher: trained here (${found.reason}; --teacher train always trains)`);
    return undefined;
  }
  console.log(
    `teacher: shipped:${found.model.name} (width ${found.model.width}, ` +
      `${found.model.training.epochs} epochs, test AUC ${found.model.auc.toFixed(4)} on ` +
      `${
        found.model.training.testLimit
          ? `${found.model.training.testLimit} test images`
          : "the whole test set"
      }; ` +
      "--teacher train trains one here instead)",
  );
  return `${SHIPPED_PREFIX}${found.model.name}`;
}

await runTask(async () => {
  // Every flag, and --normal against the dataset's classes, before anything else.
  const command = parseDistillCommand(Deno.args);
  if (command === null) return;
  // Which teacher (said in a line) before any folder is made.
  const teacherDir = (command.flags.model as string | undefined) ??
    (command.flags.teacher === "shipped"
      ? await shippedTeacherOf(command.flags, command.presetName)
      : undefined);
  const outDir = await prepareOutDir(command.out, "--out");
  try {
    await distillInto(command, teacherDir);
  } catch (error) {
    // A run refused before it wrote anything (its data, teacher, students or settings) leaves no
    // new folder behind: the folders made for it go again, each only while empty, so that a
    // folder that existed and anything written stay as they are.
    await removeMadeOutDir(outDir);
    throw error;
  }
});

/** Runs the distillation into `command.out` (made), holding its lock, and prints the results. */
async function distillInto(command: DistillCommand, teacherDir: string | undefined) {
  const { flags, out, ema } = command;
  // One writer per run folder: a second process on this --out is refused, naming the first.
  await using _lock = await lockRunFolder(out, "--out");
  const backend = await startBackend(
    flags.backend as BackendChoice,
    flags.threads as number | undefined,
  );
  const results = await runDistillExperiment({
    ...runDataFromFlags(flags),
    teacher: {
      width: flags["teacher-width"] as number,
      epochs: flags.epochs as number,
      batchSize: flags["batch-size"] as number,
      latent: flags.latent as LatentConstraint,
      // A teacher loaded with --model is not trained here: its average (if any) is its own.
      ...(!teacherDir && ema !== undefined ? { ema } : {}),
    },
    teacherDir,
    students: command.students,
    epochs: command.distillEpochs,
    batchSize: flags["batch-size"] as number,
    latentRule: flags["student-latent"] as StudentLatentRule,
    weights: command.weights,
    stage1: flags.stage1 as Stage1Structure,
    ...(command.bnStats ? { bnStats: command.bnStats } : {}),
    methods: command.methods,
    inits: flags.init === "both" ? ["random", "teacher"] : [flags.init as "random" | "teacher"],
    out,
    backend,
    progress: (label) => terminalProgress(label),
    log: (line) => console.log(line),
  }).catch((error: Error) => {
    // The data options' errors name the flags typed (`--normal`, not `normal`).
    throw namingFlags(error);
  });
  const t = results.teacher;
  console.log(
    `\nteacher: width ${t.width}, ${t.params} params, ${t.mflops} MFLOPs, AUC ${
      t.auc.toFixed(4)
    } ` +
      `on the students' test set (${
        flags["test-limit"] ? `at most ${flags["test-limit"]} images` : "the whole of it"
      })`,
  );
  // One precision per column (formatValue), not 4 decimals for every number.
  const formatted = (row: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === "number" ? formatValue(v, k) : v]),
    );
  console.log(formatTable(
    results.students.map((s) =>
      formatted({
        student: `w${s.width}`,
        latent: s.latent,
        params: s.params,
        MFLOPs: s.mflops,
        ratio: `${s.ratio.toFixed(1)}:1`,
        "AUC scratch": s.aucScratch,
        "AUC one-step": s.aucOneStep,
        "AUC P-KDGAN": s.aucPkdgan,
        "delta vs scratch": s.deltaVsScratch,
        "best-epoch scratch*": s.bestEpochAucScratch,
        "best-epoch one-step*": s.bestEpochAucOneStep,
        "best-epoch P-KDGAN*": s.bestEpochAucPkdgan,
        "score img/s": s.scoreImagesPerSecond,
      })
    ),
  ));
  console.log(
    `AUC: the last epoch's (the headline). *: ${BEST_TEST_EPOCH_LABEL}; never used to choose.`,
  );
  if (flags.preset === "quick") {
    // Notebook 03 runs the same experiment on the same default backend (auto).
    console.log(
      teacherDir === undefined
        ? `backend ${backend.name}: at the quick size (2 short epochs) float rounding alone ` +
          "moves a teacher's AUC by up to 3 points between backends (digit 2: 0.879 onednn, " +
          "0.908 wasm); notebook 03 uses the same default (auto); the committed quick results " +
          "trained their teacher in the run on wasm (--teacher train --backend wasm to compare " +
          "with them)"
        : `backend ${backend.name}: the students' figures at the quick size (a few short ` +
          "epochs) move with float rounding between backends and CPUs (onednn or wasm; AVX-512 " +
          "or AVX2: README, Quick start); the committed quick results trained their own teacher " +
          "(--teacher train --backend wasm to compare with them)",
    );
  }
  const failed = results.students.flatMap((s) => s.errors);
  for (const line of failed) console.log(`failed: ${line}`);
  if (flags.report) console.log(`report: ${await writeRunReport(out)}`);
  console.log(`results written to ${out}/results.json`);
}
