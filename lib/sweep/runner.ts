/**
 * Running a sweep's jobs, resumably: each job writes `OUT/jobs/<id>.json` atomically when it
 * finishes, and a rerun skips every job whose file exists and parses. While a job runs it holds
 * the lock `OUT/jobs/<id>.running` (pid, host; see `lib/util/run_lock.ts`), so that a second
 * process (another shard, a requeued task) leaves it alone; a job killed mid-way leaves that lock,
 * stale once its writer is gone, and no result file, so the next run simply runs it again (the distillation experiment underneath, in
 * `OUT/runs/<id>/`, then reuses its finished teacher and students). A job that fails is reported
 * and the others go on.
 *
 * @module
 */

import type { EmaOption } from "../train/ema.ts";
import { join } from "@std/path";
import type { PresetName, TrainPreset } from "../run/presets.ts";
import { preset as presetOf } from "../run/presets.ts";
import type { DatasetName } from "../data/types.ts";
import { type DistillResults, runDistillExperiment } from "../distill/experiment.ts";
import type { Method } from "../distill/pkdgan.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { acquireLock, lockRunFolder, type RunLock, RunLockedError } from "../util/run_lock.ts";
import { type Provenance, provenance } from "../run/provenance.ts";
import type { ProgressSink } from "../util/progress.ts";
import type { DistillDesignChoice, SweepJob } from "./grid.ts";

/** One student's AUCs in a job result. */
export interface SweepStudentResult {
  width: number;
  latent: number;
  params: number;
  mflops: number;
  /** Compression ratio: teacher FLOPs / student FLOPs. */
  ratio: number;
  /** Test ROC AUC by method (null: the method failed or was not run). */
  auc: Partial<Record<Method, number | null>>;
}

/** The file `OUT/jobs/<id>.json` of a finished job. */
export interface SweepJobResult {
  id: string;
  dataset: DatasetName;
  normal_class: number;
  seed: number;
  /** The preset the job ran with, when known. */
  preset?: string;
  /** The distillation design asked for (absent: every default; see `grid.ts`). */
  design?: DistillDesignChoice;
  /**
   * The registered model a campaign's training job trained (`--model-kind`, from its run.json);
   * absent: EDE-GAN (a distillation's teacher, or a result written before models had names).
   */
  model?: string;
  /**
   * The teacher (a campaign's training job: the model it trained): its width, size and test ROC
   * AUC. A campaign's training job records no size (its run.json has none), and a model without
   * one base width (Deep SVDD: `config.widths`) no width.
   */
  teacher: { width?: number; params?: number; mflops?: number; auc: number };
  students: SweepStudentResult[];
  /**
   * What the job ran with (sizes, preset, `--ema`, data folder; see {@link jobSettings}), compared
   * with a rerun's, so that a finished job is not taken for one of other sizes.
   */
  settings?: Record<string, unknown>;
  /** Wall time of the job in this run. */
  seconds: number;
  finished_at: string;
  /** The code and machine that made it (versions, git commit and dirty state); absent in older files. */
  versions?: Provenance["versions"];
  git?: Provenance["git"];
  machine?: Provenance["machine"];
  /** The sweep's own command (main module and arguments); absent in files before 2026-12-07. */
  command?: Provenance["command"];
}

/** What a job function returns: the result without the bookkeeping the runner adds. */
export type JobOutcome = Omit<
  SweepJobResult,
  "id" | "seconds" | "finished_at" | "versions" | "git" | "machine" | "command"
>;

/**
 * Runs one job, writing whatever it needs under `runDir` (`OUT/runs/<id>/`). Injectable, so that
 * tests run a fake.
 */
export type JobFunction = (job: SweepJob, runDir: string) => Promise<JobOutcome>;

/** Options of {@link runSweep}. */
export interface SweepOptions {
  /** The jobs to run (this shard's). */
  jobs: SweepJob[];
  /** The sweep's output folder. */
  out: string;
  /** Runs one job. */
  run: JobFunction;
  /**
   * The settings every job runs with ({@link jobSettings}), or each job's own (a campaign's
   * flags); recorded in each result, and a finished job whose recorded settings differ is refused
   * (failed, naming each difference) instead of skipped.
   */
  settings?: Record<string, unknown> | ((job: SweepJob) => Record<string, unknown>);
  log?: (line: string) => void;
}

/** What a sweep did. */
export interface SweepSummary {
  /** Jobs run to completion now. */
  ran: string[];
  /** Jobs finished before, skipped. */
  skipped: string[];
  /** Jobs found killed (a `.running` marker left), run again. */
  rerunKilled: string[];
  /** Jobs that failed now, with the error. */
  failed: { id: string; error: string }[];
  /** Jobs another live process was running (its `.running` lock held), left to it. */
  busy: { id: string; holder: string }[];
}

/**
 * The result file of job `id` under `out`, or `undefined` when the job has not finished (no file,
 * or a file that does not parse as a result).
 *
 * @example
 * ```ts
 * import { readJobResult } from "./runner.ts";
 * const dir = await Deno.makeTempDir();
 * if (await readJobResult(dir, "mnist-c0-s0") !== undefined) throw new Error();
 * ```
 */
export async function readJobResult(
  out: string,
  id: string,
): Promise<SweepJobResult | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(join(out, "jobs", `${id}.json`)));
    return isJobResult(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isJobResult(value: unknown): value is SweepJobResult {
  const v = value as SweepJobResult;
  return typeof v === "object" && v !== null && typeof v.id === "string" &&
    typeof v.teacher?.auc === "number" && Array.isArray(v.students);
}

/**
 * Runs the jobs one after another, skipping finished ones; returns what happened.
 *
 * @example
 * ```ts
 * import { runSweep } from "./runner.ts";
 * const out = await Deno.makeTempDir();
 * const job = { id: "mnist-c0-s0", dataset: "mnist" as const, normal: 0, seed: 0, widths: [4],
 *   methods: ["pkdgan" as const] };
 * const fake = () => Promise.resolve({ dataset: "mnist" as const, normal_class: 0, seed: 0,
 *   teacher: { width: 64, params: 1, mflops: 1, auc: 0.9 }, students: [] });
 * const first = await runSweep({ jobs: [job], out, run: fake });
 * const again = await runSweep({ jobs: [job], out, run: fake });
 * if (first.ran.length !== 1 || again.skipped.length !== 1) throw new Error();
 * ```
 */
export async function runSweep(opts: SweepOptions): Promise<SweepSummary> {
  const log = opts.log ?? (() => {});
  const summary: SweepSummary = { ran: [], skipped: [], rerunKilled: [], failed: [], busy: [] };
  await Deno.mkdir(join(opts.out, "jobs"), { recursive: true });
  for (const [k, job] of opts.jobs.entries()) {
    const tag = `[${k + 1}/${opts.jobs.length}] ${job.id}`;
    const resultFile = join(opts.out, "jobs", `${job.id}.json`);
    const marker = join(opts.out, "jobs", `${job.id}.running`);
    const done = await readJobResult(opts.out, job.id);
    const settings = typeof opts.settings === "function" ? opts.settings(job) : opts.settings;
    const differences = done ? settingsDifferences(done.settings, settings) : [];
    if (differences.length > 0) {
      const error = `${resultFile} finished with other settings (${differences.join(", ")}); ` +
        `rerun with the recorded values, or choose another --out`;
      summary.failed.push({ id: job.id, error });
      log(`${tag}: FAILED ${error}`);
      continue;
    }
    if (done) {
      summary.skipped.push(job.id);
      log(`${tag}: finished before (${aucLabel(done)} ${done.teacher.auc.toFixed(4)}), skipped`);
      continue;
    }
    // The marker is the job's lock: a job that another live process runs (another shard, a
    // requeued array task while the old one still runs) is left to it.
    let lock: RunLock;
    try {
      lock = await acquireLock(marker, `job ${job.id}`);
    } catch (error) {
      if (!(error instanceof RunLockedError)) throw error;
      const { pid, host } = error.holder;
      summary.busy.push({ id: job.id, holder: `pid ${pid} on host ${host}` });
      log(`${tag}: being run by pid ${pid} on host ${host} (${marker}), left to it`);
      continue;
    }
    if (lock.replaced) {
      summary.rerunKilled.push(job.id);
      log(`${tag}: left unfinished by an earlier run, running it again`);
    }
    // A result file that exists but does not parse is a leftover; it goes before the rerun.
    await Deno.remove(resultFile).catch(() => {});
    const started = performance.now();
    try {
      const outcome = await opts.run(job, join(opts.out, "runs", job.id));
      const { versions, git, machine, command } = provenance();
      const result: SweepJobResult = {
        ...outcome,
        id: job.id,
        ...(settings ? { settings } : {}),
        seconds: Math.round((performance.now() - started) / 100) / 10,
        finished_at: new Date().toISOString(),
        versions,
        git,
        machine,
        command,
      };
      await writeJsonAtomic(resultFile, result);
      summary.ran.push(job.id);
      log(`${tag}: ${aucLabel(result)} ${result.teacher.auc.toFixed(4)} in ${result.seconds}s`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      summary.failed.push({ id: job.id, error: message });
      log(`${tag}: FAILED ${message}`);
    } finally {
      await lock.release();
    }
  }
  return summary;
}

/** How a job's AUC is logged: a distillation's teacher, or the model a training job trained. */
const aucLabel = (result: SweepJobResult) =>
  result.model ? `${result.model} test AUC` : "teacher AUC";

/**
 * The differences between a job's recorded settings and a rerun's, one `name old -> new` each;
 * a setting the record lacks (results of older versions) is not compared.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { settingsDifferences } from "./runner.ts";
 * assertEquals(settingsDifferences({ epochs: 15, limit: null }, { epochs: 1, limit: null }),
 *   ["--epochs 15 -> 1"]);
 * ```
 */
export function settingsDifferences(
  recorded: Record<string, unknown> | undefined,
  current: Record<string, unknown> | undefined,
): string[] {
  if (!recorded || !current) return [];
  const show = (v: unknown) => v === undefined || v === null ? "(none)" : JSON.stringify(v);
  const flag = (key: string) =>
    key === "preset" ? "--preset" : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return Object.entries(recorded).flatMap(([key, old]) => {
    const now = current[key];
    return JSON.stringify(old ?? null) === JSON.stringify(now ?? null)
      ? []
      : [`${flag(key)} ${show(old)} -> ${show(now)}`.replaceAll('"', "")];
  });
}

/**
 * The settings a sweep's jobs run with, as recorded in each job result: the preset's sizes with
 * the explicit ones applied, `--ema` and `--data-dir`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { jobSettings } from "./runner.ts";
 * assertEquals(jobSettings({ preset: "quick", sizes: { epochs: 1 } }).epochs, 1);
 * ```
 */
export function jobSettings(
  settings: Pick<DistillJobSettings, "preset" | "sizes" | "ema" | "dataDir">,
): Record<string, unknown> {
  const sizes = Object.fromEntries(
    Object.entries(settings.sizes ?? {}).filter(([, v]) => v !== undefined),
  );
  const p = { ...presetOf(settings.preset), ...sizes };
  return {
    preset: settings.preset,
    teacherWidth: p.teacherWidth,
    epochs: p.epochs,
    distillEpochs: p.distillEpochs,
    batchSize: p.batchSize,
    limit: p.limit ?? null,
    testLimit: p.testLimit ?? null,
    ema: settings.ema ?? null,
    dataDir: settings.dataDir ?? null,
  };
}

/** Settings every job of a real sweep shares. */
export interface DistillJobSettings {
  /** Run size (teacher width, epochs, batch size, image limits). */
  preset: PresetName;
  /**
   * Sizes given explicitly (`--epochs`, `--limit`, ...), each winning over the preset's value; a
   * job result then records the preset with them, e.g. `quick --limit 64 --epochs 1`.
   */
  sizes?: Partial<Omit<TrainPreset, "students" | "width">>;
  dataDir?: string;
  /** `--ema DECAY` (or `auto`): train each teacher with an average of its generator's weights. */
  ema?: EmaOption;
  backend?: { name: string; device?: string; skipped?: string[] };
  progress?: (label: string) => ProgressSink;
  log?: (line: string) => void;
}

/**
 * The real job function: one `runDistillExperiment` on the job's (dataset, class, seed) with its
 * student widths and methods, at the preset's size. A student that failed fails the job (so that
 * a rerun retries it; the experiment skips what it finished).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it trains a teacher and its students for minutes (tests/sweep runs sweeps)
 * import { distillJob, runSweep } from "./runner.ts";
 * import { sweepJobs } from "./grid.ts";
 * const jobs = sweepJobs({ datasets: ["mnist"], classes: [1], seeds: [0], widths: [4],
 *   methods: ["pkdgan"] });
 * await runSweep({ jobs, out: "results/sweep", run: distillJob({ preset: "quick" }) });
 * ```
 */
export function distillJob(settings: DistillJobSettings): JobFunction {
  // A size left undefined keeps the preset's value.
  const sizes = Object.fromEntries(
    Object.entries(settings.sizes ?? {}).filter(([, v]) => v !== undefined),
  ) as NonNullable<DistillJobSettings["sizes"]>;
  const p = { ...presetOf(settings.preset), ...sizes };
  const label = [
    settings.preset,
    ...sizeFlags(sizes),
    ...(settings.ema !== undefined ? [`--ema ${settings.ema}`] : []),
  ].join(" ");
  return async (job, runDir) => {
    // The experiment's own folder is a run like any other: its run.lock says who writes it.
    await using _lock = await lockRunFolder(runDir, `job ${job.id}`);
    const results = await runDistillExperiment({
      dataset: job.dataset,
      dataDir: settings.dataDir,
      normal: job.normal,
      seed: job.seed,
      limit: p.limit,
      testLimit: p.testLimit,
      teacher: {
        width: p.teacherWidth,
        epochs: p.epochs,
        batchSize: p.batchSize,
        ...(settings.ema !== undefined ? { ema: settings.ema } : {}),
      },
      students: job.widths,
      epochs: p.distillEpochs,
      batchSize: p.batchSize,
      methods: job.methods,
      ...designOptions(job.design),
      out: runDir,
      backend: settings.backend,
      progress: settings.progress,
      log: settings.log,
    });
    const errors = results.students.flatMap((s) => s.errors);
    if (errors.length > 0) throw new Error(errors.join("; "));
    return {
      ...jobOutcome(results, job.methods),
      preset: label,
      ...(job.design ? { design: job.design } : {}),
    };
  };
}

/** The experiment options of a sweep job's design (each field a `deno task distill` flag). */
function designOptions(design: DistillDesignChoice = {}) {
  return {
    ...(design.studentLatent ? { latentRule: design.studentLatent } : {}),
    ...(design.kdWeights ? { weights: design.kdWeights } : {}),
    ...(design.stage1 ? { stage1: design.stage1 } : {}),
    ...(design.bnStats ? { bnStats: design.bnStats } : {}),
  };
}

// The flags that set `sizes`, in a fixed order, for the preset label of a job result.
function sizeFlags(sizes: NonNullable<DistillJobSettings["sizes"]>): string[] {
  const flags: [string, number | string | undefined][] = [
    ["--teacher-width", sizes.teacherWidth],
    ["--epochs", sizes.epochs],
    ["--distill-epochs", sizes.distillEpochs && Object.values(sizes.distillEpochs).join(",")],
    ["--batch-size", sizes.batchSize],
    ["--limit", sizes.limit],
    ["--test-limit", sizes.testLimit],
  ];
  return flags.filter(([, v]) => v !== undefined).map(([flag, v]) => `${flag} ${v}`);
}

/**
 * A job result's content from a distillation experiment's `results.json`.
 *
 * @example
 * ```ts
 * import { jobOutcome } from "./runner.ts";
 * const o = jobOutcome({ dataset: "mnist", normalClass: 1, protocol: "one-class", seed: 0,
 *   teacher: { width: 64, params: 10, mflops: 2, auc: 0.97, scoreImagesPerSecond: 1 },
 *   students: [{ width: 4, latent: 100, params: 1, mflops: 0.1, ratio: 20, aucScratch: 0.9,
 *     aucOneStep: 0.92, aucPkdgan: 0.95, deltaVsScratch: 0.05, scoreImagesPerSecond: 1,
 *     errors: [] }], ratioDefinition: "" }, ["scratch", "pkdgan"]);
 * if (o.students[0].auc.pkdgan !== 0.95 || "one-step" in o.students[0].auc) throw new Error();
 * ```
 */
export function jobOutcome(results: DistillResults, methods: Method[]): JobOutcome {
  const column = {
    "scratch": "aucScratch",
    "one-step": "aucOneStep",
    "pkdgan": "aucPkdgan",
    "joint": "aucJoint",
  } as const;
  return {
    dataset: results.dataset as DatasetName,
    normal_class: results.normalClass,
    seed: results.seed,
    teacher: {
      width: results.teacher.width,
      params: results.teacher.params,
      mflops: results.teacher.mflops,
      auc: results.teacher.auc,
    },
    students: results.students.map((s) => ({
      width: s.width,
      latent: s.latent,
      params: s.params,
      mflops: s.mflops,
      ratio: s.ratio,
      auc: Object.fromEntries(methods.map((m) => [m, s[column[m]] ?? null])),
    })),
  };
}
