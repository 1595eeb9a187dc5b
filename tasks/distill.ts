/**
 * `deno task distill`: P-KDGAN on one class. Takes the shipped teacher of the class when there is
 * one that matches (`--teacher shipped`, the default; `models/index.json`), else trains one
 * (`--teacher train` always does; `--model RUN` loads a run's), then for
 * each student width trains the student from scratch, by one-step KD and by P-KDGAN, evaluates all
 * on the same test set, and writes `results.json`, `results.csv` and `report.html` to `--out`.
 * Rerunning with the same `--out` skips what is done; a student job killed mid-way resumes from
 * its last finished epoch. The design flags (`--student-latent`, `--kd-weights`, `--stage1`,
 * `--bn-stats`, `--distill-epochs`, `--batch-size`) are recorded in `run.json` and each job file.
 *
 * @module
 */

import { parseEmaOption } from "../lib/train/ema.ts";
import { formatTable, parseFlags, runTask } from "../lib/cli/flags.ts";
import { preset, presetFromArgs } from "../lib/run/presets.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { parseDistillEpochs, runDataFromFlags, startBackend } from "../lib/cli/run_flags.ts";
import { runDistillExperiment } from "../lib/distill/experiment.ts";
import { namingFlags } from "../lib/data/options.ts";
import { parseStudentChoices } from "../lib/distill/student_choice.ts";
import { type Method, METHODS, type Stage1Structure } from "../lib/distill/pkdgan.ts";
import { parseKdWeights } from "../lib/distill/kd_loss.ts";
import type { StudentLatentRule } from "../lib/distill/students.ts";
import { checkFinalBatchNorm } from "../lib/models/ede_gan/final_batch_norm.ts";
import { BEST_TEST_EPOCH_LABEL } from "../lib/metrics/mod.ts";
import { terminalProgress } from "../lib/util/progress.ts";
import type { LatentConstraint } from "../lib/models/ede_gan/mod.ts";
import { writeRunReport } from "../lib/report/run_report.ts";
import { formatValue } from "../lib/viz/html.ts";
import { lockRunFolder } from "../lib/util/run_lock.ts";
import { prepareOutDir } from "../lib/util/out_dir.ts";
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
      `${found.model.training.epochs} epochs, test AUC ${found.model.auc.toFixed(4)}; ` +
      "--teacher train trains one here instead)",
  );
  return `${SHIPPED_PREFIX}${found.model.name}`;
}

await runTask(async () => {
  const presetName = presetFromArgs(Deno.args);
  const p = preset(presetName);
  const flags = parseFlags(
    "distill",
    Deno.args,
    {
      dataset: "mnist",
      "data-dir": undefined,
      normal: 2,
      protocol: "one-class",
      "teacher-width": p.teacherWidth,
      students: p.students.join(","),
      methods: "scratch,one-step,pkdgan",
      "student-latent": "shrink",
      "kd-weights": "1,1,1",
      stage1: "kd-gan",
      "bn-stats": undefined,
      init: "random",
      epochs: p.epochs,
      "distill-epochs": `${p.distillEpochs.step1},${p.distillEpochs.step2}`,
      "batch-size": p.batchSize,
      seed: 0,
      latent: "tanh",
      limit: p.limit,
      "test-limit": p.testLimit,
      model: undefined,
      teacher: "shipped",
      backend: "auto",
      threads: undefined,
      out: undefined,
      preset: presetName,
      report: true,
      ema: p.ema ?? "off",
    },
    "Distil an EDE-GAN teacher into small students (P-KDGAN) and compare with scratch and one-step KD.\n" +
      "--bn-stats (the students' final scoring) defaults to auto at batch size 1, else moving; the\n" +
      "design flags (--student-latent, --kd-weights, --stage1, --bn-stats, --distill-epochs,\n" +
      "--batch-size) are recorded in run.json and each job file, and a rerun into --out with other\n" +
      "values is refused. A killed student job resumes from its last finished epoch.",
  );
  if (flags === null) return;
  const students = parseStudentChoices(String(flags.students));
  const methods = String(flags.methods).split(",").map((m) => {
    if (!(METHODS as readonly string[]).includes(m)) {
      throw new Error(`--methods: '${m}' is not one of ${METHODS.join(", ")}`);
    }
    return m as Method;
  });
  const distillEpochs = parseDistillEpochs(String(flags["distill-epochs"]));
  const weights = parseKdWeights(String(flags["kd-weights"]));
  // Default: auto (chosen on the validation normals) at batch 1, moving otherwise (as train's).
  const bnStats = flags["bn-stats"] === undefined
    ? undefined
    : checkFinalBatchNorm(String(flags["bn-stats"]));
  const out = (flags.out as string | undefined) ??
    `runs/distill-${flags.dataset}-${flags.normal}-s${flags.seed}`;
  await prepareOutDir(out, "--out");
  // One writer per run folder: a second process on this --out is refused, naming the first.
  await using _lock = await lockRunFolder(out, "--out");
  const backend = await startBackend(
    flags.backend as BackendChoice,
    flags.threads as number | undefined,
  );
  const ema = parseEmaOption(flags.ema as string);
  const teacherDir = (flags.model as string | undefined) ??
    (flags.teacher === "shipped" ? await shippedTeacherOf(flags, presetName) : undefined);
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
    students,
    epochs: distillEpochs,
    batchSize: flags["batch-size"] as number,
    latentRule: flags["student-latent"] as StudentLatentRule,
    weights,
    stage1: flags.stage1 as Stage1Structure,
    ...(bnStats ? { bnStats } : {}),
    methods,
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
    `\nteacher: width ${t.width}, ${t.params} params, ${t.mflops} MFLOPs, AUC ${t.auc.toFixed(4)}`,
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
      `backend ${backend.name}: at the quick size (2 short epochs) float rounding alone moves ` +
        "a teacher's AUC by up to 3 points between backends (digit 2: 0.879 onednn, 0.908 " +
        "wasm); notebook 03 uses the same default (auto); the committed quick results trained " +
        "their teacher in the run on wasm (--teacher train --backend wasm to compare with them)",
    );
  }
  const failed = results.students.flatMap((s) => s.errors);
  for (const line of failed) console.log(`failed: ${line}`);
  if (flags.report) console.log(`report: ${await writeRunReport(out)}`);
  console.log(`results written to ${out}/results.json`);
});
